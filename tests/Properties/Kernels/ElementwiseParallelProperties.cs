using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The public threaded overloads of the element-wise kernels (activations, their backward passes, the
/// optimiser updates): bit-identical to the single-threaded call for every kernel, length and degree,
/// at whatever width the process runs, and split for real when large enough.
/// </summary>
public class ElementwiseParallelProperties
{
    public static TheoryData<int> Lengths() => [ElementwiseParallel.MinimumElements - 1, ElementwiseParallel.MinimumElements, 40_000, 100_003, 262_144 + 5];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SplitKernelsAreBitIdentical(int length)
    {
        using var two = new KernelThreads(2);
        using var three = new KernelThreads(3);
        Check<float>(length, two, three);
        Check<double>(length, two, three);
        if (length >= ElementwiseParallel.MinimumElements && ElementwiseParallel.Supported)
        {
            Assert.True(two.SplitCalls > 0 && three.SplitCalls > 0, $"split calls: {two.SplitCalls}, {three.SplitCalls}");
        }
        else
        {
            Assert.Equal(0, two.SplitCalls + three.SplitCalls);
        }
    }

    private delegate void Kernel<T>(T[] x, T[] y, T[] s, T[] t, KernelThreads? threads);

    private static void Check<T>(int length, params KernelThreads[] groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = Gens.Random<T>(length, length, 6);
        T[] y = Gens.Random<T>(length, length + 1, 1);
        T[] s0 = Gens.Random<T>(length, length + 2, 1);
        T[] t0 = Gens.Random<T>(length, length + 3, 1);
        for (int k = 0; k < t0.Length; k++)
        {
            t0[k] = T.Abs(t0[k]);
        }

        T lr = T.CreateTruncating(0.01), decay = T.CreateTruncating(1e-4);
        var kernels = new (string Name, Kernel<T> Run)[]
        {
            ("sigmoid", (a, b, s, t, th) => Activations.Sigmoid(a, a, th)),
            ("tanh", (a, b, s, t, th) => Activations.Tanh(a, a, th)),
            ("relu", (a, b, s, t, th) => Activations.Relu(a, b, th)),
            ("sigmoid backward", (a, b, s, t, th) => Activations.SigmoidBackward(a, b, a, th)),
            ("tanh backward", (a, b, s, t, th) => Activations.TanhBackward(a, b, b, th)),
            ("relu backward", (a, b, s, t, th) => Activations.ReluBackward(a, b, a, th)),
            ("sgd", (a, b, s, t, th) => Updates.SgdStep(a, b, lr, decay, th)),
            ("momentum", (a, b, s, t, th) => Updates.MomentumStep(a, b, s, lr, T.CreateTruncating(0.9), false, decay, th)),
            ("nesterov", (a, b, s, t, th) => Updates.MomentumStep(a, b, s, lr, T.CreateTruncating(0.9), true, decay, th)),
            ("adam", (a, b, s, t, th) => Updates.AdamStep(a, b, s, t, lr, T.CreateTruncating(0.9), T.CreateTruncating(0.999), T.CreateTruncating(1e-8), 3, decay, th)),
        };
        foreach ((string name, Kernel<T> run) in kernels)
        {
            T[][] serial = [(T[])x.Clone(), (T[])y.Clone(), (T[])s0.Clone(), (T[])t0.Clone()];
            run(serial[0], serial[1], serial[2], serial[3], null);
            foreach (KernelThreads group in groups)
            {
                T[][] split = [(T[])x.Clone(), (T[])y.Clone(), (T[])s0.Clone(), (T[])t0.Clone()];
                run(split[0], split[1], split[2], split[3], group);
                for (int b = 0; b < 4; b++)
                {
                    Assert.True(serial[b].AsSpan().SequenceEqual(split[b]), $"{typeof(T).Name} {name} length {length} DOP {group.DegreeOfParallelism}, buffer {b}");
                }
            }
        }
    }
}

/// <summary>The threaded element-wise kernels allocate nothing on any thread of the group once the workers run, quiet or contended.</summary>
[Collection(nameof(ProcessAllocations))]
public class ElementwiseParallelAllocationTests
{
    [Fact]
    public void SplitKernelsDoNotAllocate()
    {
        using var two = new KernelThreads(2);
        float[] x = Gens.Random<float>(100_000, 1, 3);
        float[] g = Gens.Random<float>(100_000, 2, 1);
        float[] m = new float[x.Length];
        float[] v = new float[x.Length];
        long step = 0;
        (ProcessAllocations.Phase quiet, ProcessAllocations.Phase contended) = ProcessAllocations.Measure(
            two,
            () =>
            {
                Activations.Tanh(x, x, two);
                Activations.TanhBackward(g, x, g, two);
                Updates.AdamStep(x, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, ++step, 0f, two);
            },
            repetitions: 20);
        Assert.Equal(ElementwiseParallel.Supported, two.SplitCalls > 0);
        Assert.Equal((0L, 0L), (quiet.Caller, quiet.Workers));
        Assert.Equal((0L, 0L), (contended.Caller, contended.Workers));
        Assert.True(contended.BlockedWaits > 0, $"the contended phase never blocked: {contended}");
    }
}
