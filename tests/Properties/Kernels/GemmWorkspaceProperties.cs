using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Who owns GEMM's packing buffer: the caller that passes one, a <see cref="KernelThreads"/> group's
/// workers, a trainer's or predictor's <see cref="Workspace{T}"/>; the thread-static fallback only
/// serves the overloads without one. Each case runs on a fresh thread, so "no fallback was created"
/// is a statement about that work alone.
/// </summary>
public class GemmWorkspaceProperties
{
    private const int S = 96; // packs at every SIMD width, and is worth splitting (96³)

    [Fact]
    public void AnExplicitWorkspaceIsAllocatedByTheFirstPackedProductAndServesTheRestWithoutAllocating()
    {
        OnFreshThread(() =>
        {
            var workspace = new GemmWorkspace<float>();
            Assert.False(workspace.IsAllocated);
            Assert.InRange(workspace.SizeInBytes, 64 * 1024, 4 * 1024 * 1024);
            (float[] a, float[] b, float[] c) = Operands();
            float[] expected = new float[S * S];
            Multiply(a, b, expected, null, new GemmWorkspace<float>());

            Multiply(a, b, c, null, workspace);
            Assert.Equal(GemmPacked.Pays<float>(S, S, S, false, false), workspace.IsAllocated);
            Assert.Equal(expected, c);
            Assert.False(GemmWorkspace<float>.FallbackExistsOnThisThread);
            Allocations.AssertNone(() => Multiply(a, b, c, null, workspace));
        });
    }

    /// <summary>
    /// Every span the workspace hands out starts on a 64-byte line (the packed panels' loads rely on it
    /// for speed, not for correctness, so no product can tell), has the length asked for, is reused while
    /// it is long enough and replaced when it is not; its size is the packing length plus one line.
    /// </summary>
    [SizedProperty(MaxTest = 100)]
    public Property AcquiredSpansStartOnA64ByteLineWithTheAskedLength() =>
        Prop.ForAll(Gen.Choose(1, 5000).ArrayOf().ToArbitrary(), lengths =>
        {
            var floats = new GemmWorkspace<float>();
            var doubles = new GemmWorkspace<double>();
            Assert.Equal((GemmPacked.WorkspaceLength<float>() + 16) * 4L, floats.SizeInBytes);
            Assert.Equal((GemmPacked.WorkspaceLength<double>() + 8) * 8L, doubles.SizeInBytes);
            int longestFloat = 0, longestDouble = 0;
            nint previousFloat = 0, previousDouble = 0;
            foreach (int length in lengths)
            {
                CheckAcquire(floats, length, ref longestFloat, ref previousFloat);
                CheckAcquire(doubles, length, ref longestDouble, ref previousDouble);
            }
        });

    private static unsafe void CheckAcquire<T>(GemmWorkspace<T> workspace, int length, ref int longest, ref nint previous)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Span<T> first = workspace.Acquire(length);
        Assert.Contains("in use by another product", Assert.Throws<InvalidOperationException>(() => workspace.Acquire(1)).Message, StringComparison.Ordinal); // in use until released
        workspace.Release();
        Assert.Equal(length, first.Length);
        nint start = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref first[0]);
        Assert.Equal(0, start & 63);
        if (length <= longest)
        {
            Assert.Equal(previous, start); // long enough: reused
        }
        else if (length > longest + (64 / sizeof(T)))
        {
            Assert.NotEqual(previous, start); // too short even with its slack: replaced
        }

        Span<T> again = workspace.Acquire(length);
        workspace.Release();
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref first[0], ref again[0]), "a released buffer is reused");
        previous = start;
        longest = Math.Max(longest, length);
    }

    [Fact]
    public void AProductTooSmallToPackNeverAllocatesTheWorkspace()
    {
        var workspace = new GemmWorkspace<double>();
        double[] a = Gens.Random<double>(6, 1, 1), b = Gens.Random<double>(6, 2, 1), c = new double[4];
        Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<double>(a, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<double>(b, 3, 2), new MatrixSpan<double>(c, 2, 2), 1, 0, null, workspace);
        Assert.False(workspace.IsAllocated);
    }

    [Fact]
    public void AWorkspaceInUseIsRefusedNotShared()
    {
        var workspace = new GemmWorkspace<float>();
        (float[] a, float[] b, float[] c) = Operands();
        _ = workspace.Acquire(16);
        try
        {
            if (GemmPacked.Pays<float>(S, S, S, false, false))
            {
                Assert.Throws<InvalidOperationException>(() => Multiply(a, b, c, null, workspace));
            }
        }
        finally
        {
            workspace.Release();
        }

        Multiply(a, b, c, null, workspace);
        Assert.Equal("workspace", Assert.Throws<ArgumentNullException>(() => Multiply(a, b, c, null, null!)).ParamName);
    }

    [Fact]
    public void AThreadedProductUsesTheCallersWorkspaceAndTheWorkersOwnNeverTheFallback()
    {
        OnFreshThread(() =>
        {
            using var threads = new KernelThreads(2);
            var workspace = new GemmWorkspace<float>();
            (float[] a, float[] b, float[] c) = Operands();
            float[] expected = new float[S * S];
            Multiply(a, b, expected, null, new GemmWorkspace<float>());
            Multiply(a, b, c, threads, workspace);
            Assert.Equal(expected, c);
            Assert.False(GemmWorkspace<float>.FallbackExistsOnThisThread);
            foreach (Thread worker in threads.WorkerThreads)
            {
                Assert.True(worker.IsAlive);
            }
        });
    }

    [Fact]
    public void ATrainerPacksIntoItsOwnWorkspaceNotTheThreadsFallback()
    {
        OnFreshThread(() =>
        {
            var network = new Network<float>(new NetworkShape([S, S, 10]));
            network.InitializeGlorotUniform(1);
            using var trainer = new Trainer<float>(network, new SgdOptimizer<float>(network.Shape.ParameterCount), new TrainerOptions { BatchSize = S });
            float[] x = Gens.Random<float>(S * S, 3, 1);
            int[] y = [.. Enumerable.Range(0, S).Select(i => i % 10)];
            trainer.Step(new ReadOnlyMatrixSpan<float>(x, S, S), y);
            Assert.False(GemmWorkspace<float>.FallbackExistsOnThisThread);
        });
    }

    private static (float[] A, float[] B, float[] C) Operands() => (Gens.Random<float>(S * S, 1, 1), Gens.Random<float>(S * S, 2, 1), new float[S * S]);

    private static ReadOnlyMatrixSpan<float> View(float[] m) => new(m, S, S);

    private static void Multiply(float[] a, float[] b, float[] c, KernelThreads? threads, GemmWorkspace<float> workspace) =>
        Gemm.Multiply(MatrixOperation.None, View(a), MatrixOperation.None, View(b), new MatrixSpan<float>(c, S, S), 1f, 0f, threads, workspace);

    private static void OnFreshThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
