using System.Numerics;
using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The parallel GEMM (<see cref="GemmParallel"/>) and its thread group: bit-identical to one thread
/// for every degree of parallelism, shape, transpose and scalar; no allocation on any thread;
/// workers stop on disposal (and finalisation); groups used from several threads at once.
/// </summary>
public class KernelThreadsProperties
{
    private static readonly KernelThreads Two = new(2);
    private static readonly KernelThreads Three = new(3);

    internal sealed record Case(int M, int N, int K, bool TransposeA, bool TransposeB, int PadA, int PadB, int PadC, double Alpha, double Beta, int Seed)
    {
        public override string ToString() =>
            $"{M}×{N}×{K} op(A)={(TransposeA ? "T" : "N")} op(B)={(TransposeB ? "T" : "N")} pads=({PadA},{PadB},{PadC}) α={Alpha} β={Beta} seed={Seed}";
    }

    /// <summary>Shapes from one micro-tile to a few MC/NC blocks wide, depth across a KC edge, edges in every dimension.</summary>
    private static Gen<Case> Cases() =>
        from m in Gen.Frequency((2, Gen.Choose(8, 40)), (2, Gen.Choose(41, 300)))
        from n in Gen.Frequency((2, Gen.Choose(1, 40)), (2, Gen.Choose(41, 300)))
        from k in Gen.Frequency((3, Gen.Choose(4, 60)), (1, Gen.Choose(250, 280)))
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from pads in Gen.Choose(0, 3).Three()
        from alpha in Gen.Elements(1.0, -0.5, 1.75)
        from beta in Gen.Elements(0.0, 1.0, -0.25)
        from seed in Gens.Seed
        select new Case(m, n, k, ta, tb, pads.Item1, pads.Item2, pads.Item3, alpha, beta, seed);

    [SizedProperty(MaxTest = 150)]
    public Property FloatIsBitIdenticalForTwoAndThreeThreads() => Prop.ForAll(Cases().ToArbitrary(), c => SameBits<float>(c));

    [SizedProperty(MaxTest = 150)]
    public Property DoubleIsBitIdenticalForTwoAndThreeThreads() => Prop.ForAll(Cases().ToArbitrary(), c => SameBits<double>(c));

    /// <summary>
    /// The case that switched the split off at 128 bits (issue 11, item 5): 8×1×250, Aᵀ·B, double,
    /// on a group whose workers already run. A product one micro-tile tall (M = 8 ≤ MR) and narrower
    /// than it is tall is split by rows, has one row tile, and stays on the calling thread. The old
    /// check counted tiles in NR for both dimensions, so at 128-bit double (NR = 4) it expected a
    /// split and failed; bit-identity was never lost. Every width and both types, tall and wide, with
    /// shapes of one, two and three tiles along the split dimension.
    /// </summary>
    [Fact]
    public void SplitHappensExactlyWhenThereAreTwoTiles()
    {
        Assert.True(SameBits<double>(new Case(64, 64, 64, false, false, 0, 0, 0, 1, 0, 1)));
        Assert.True(SameBits<double>(new Case(8, 1, 250, true, false, 1, 2, 0, 1, 1, 507354858)));
        foreach (int tiles in new[] { 1, 2, 3 })
        {
            int rows = tiles * GemmPacked.MR<double>(), columns = tiles * GemmPacked.NR<double>();
            Assert.True(SameBits<double>(new Case(rows, 1, 70, true, false, 0, 0, 0, 1, 1, tiles)), $"tall double {rows}");
            Assert.True(SameBits<double>(new Case(rows, Math.Max(1, rows - 1), 70, false, false, 0, 0, 0, 1, 0, tiles)), $"tall double {rows}");
            Assert.True(SameBits<double>(new Case(1, columns, 70, false, true, 0, 0, 0, 1, 0, tiles)), $"wide double {columns}");
            rows = tiles * GemmPacked.MR<float>();
            columns = tiles * GemmPacked.NR<float>();
            Assert.True(SameBits<float>(new Case(rows, 1, 70, true, false, 0, 0, 0, 1, 1, tiles)), $"tall float {rows}");
            Assert.True(SameBits<float>(new Case(1, columns, 70, false, true, 0, 0, 0, 1, 0, tiles)), $"wide float {columns}");
        }
    }

    /// <summary>Products across the NC (1024) and KC edges and an MC edge, split by columns and by rows, through the public threshold.</summary>
    [Theory]
    [InlineData(130, 2100, 300, false, false)]
    [InlineData(2100, 70, 300, true, false)]
    [InlineData(257, 1030, 129, false, true)]
    [InlineData(1030, 257, 257, true, true)]
    public void LargeProductsAreBitIdentical(int m, int n, int k, bool ta, bool tb)
    {
        Assert.True(SameBits<float>(new Case(m, n, k, ta, tb, 1, 0, 2, 1.5, 0.5, 11), publicThreshold: true));
        Assert.True(SameBits<double>(new Case(m, n, k, ta, tb, 0, 3, 0, -1, 0, 12), publicThreshold: true));
    }

    [Fact]
    public void ProductsBelowTheThresholdStayOnTheCallingThread()
    {
        using var threads = new KernelThreads(2);
        float[] a = Gens.Random<float>(32 * 32, 1, 1), b = Gens.Random<float>(32 * 32, 2, 1), c = new float[32 * 32];
        Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, 32, 32), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, 32, 32), new MatrixSpan<float>(c, 32, 32), 1f, 0f, threads);
        Assert.Equal(0, threads.SplitCalls);
        Assert.Empty(threads.WorkerThreads);
    }

    [Fact]
    public void DegreeOneNeverStartsAWorker()
    {
        using var threads = new KernelThreads(1);
        Assert.True(SameBits<float>(new Case(200, 200, 100, false, false, 0, 0, 0, 1, 0, 3), threads));
        Assert.Equal(0, threads.SplitCalls);
        Assert.Empty(threads.WorkerThreads);
    }

    [Fact]
    public void ADegreeBelowOneThrowsNamingIt()
    {
        Assert.Equal("degreeOfParallelism", Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreads(0)).ParamName);
        Assert.Equal("degreeOfParallelism", Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreads(-3)).ParamName);
    }

    [Fact]
    public void DisposalStopsTheWorkersAndLaterCallsRunOnTheCallingThread()
    {
        var threads = new KernelThreads(3);
        Assert.True(SameBits<float>(new Case(100, 300, 64, false, false, 0, 0, 0, 1, 0, 4), threads));
        Assert.Equal(GemmParallel.Supported ? 2 : 0, threads.LiveWorkers);
        Thread[] workers = threads.WorkerThreads;
        threads.Dispose();
        Assert.All(workers, w => Assert.False(w.IsAlive));
        long split = threads.SplitCalls;
        Assert.True(SameBits<float>(new Case(100, 300, 64, false, false, 0, 0, 0, 1, 0, 5), threads));
        Assert.Equal(split, threads.SplitCalls);
        threads.Dispose(); // twice is harmless
    }

    [Fact]
    public void AnUndisposedGroupsWorkersStopWhenItIsCollected()
    {
        Thread[] workers = StartAndDrop();
        for (int attempt = 0; attempt < 50 && workers.Any(w => w.IsAlive); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(10);
        }

        Assert.All(workers, w => Assert.False(w.IsAlive));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Thread[] StartAndDrop()
    {
        var threads = new KernelThreads(2);
        Assert.True(SameBits<double>(new Case(64, 64, 64, false, false, 0, 0, 0, 1, 0, 6), threads));
        Assert.Equal(GemmParallel.Supported ? 1 : 0, threads.WorkerThreads.Length);
        return threads.WorkerThreads;
    }

    /// <summary>
    /// Thousands of tiny split calls back to back, with three spinning threads taking the cores now
    /// and then, as another process would (workers and the caller get descheduled mid-call, which is
    /// when wake-ups race): no hang (a lost or stale wake-up would stop the loop), every result exact.
    /// A hang is told from a slow machine by progress, not by a total time: the test fails only when no
    /// call has completed for <see cref="StallLimit"/> while calls are due, and then prints the group's
    /// state word and each worker's phase. The call count follows the code path: a scalar product is
    /// about twenty times slower than a SIMD one.
    /// </summary>
    [Fact]
    public void ManyTinySplitCallsNeitherHangNorDiffer()
    {
        using var threads = new KernelThreads(2);
        const int S = 96;
        int calls = KernelSimd.VectorBits == 0 || !System.Numerics.Vector.IsHardwareAccelerated ? 500 : 5_000;
        float[] a = Gens.Random<float>(S * S, 1, 1), b = Gens.Random<float>(S * S, 2, 1), expected = new float[S * S], c = new float[S * S];
        Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, S, S), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, S, S), new MatrixSpan<float>(expected, S, S), 1f, 0f, GemmPath.Packed);
        bool exact = true;
        int completed = 0;
        var runner = new Thread(Run) { IsBackground = true };
        void Run()
        {
            for (int i = 0; i < calls; i++)
            {
                Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, S, S), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, S, S), new MatrixSpan<float>(c, S, S), 1f, 0f, GemmPath.Packed, threads, minimumParallelWork: 0);
                exact &= c.AsSpan().SequenceEqual(expected);
                Interlocked.Increment(ref completed);
            }
        }

        string? stalled;
        using (new CpuLoad(3))
        {
            runner.Start();
            stalled = WatchProgress(runner, () => Volatile.Read(ref completed), threads);
        }

        Assert.True(stalled is null, stalled);
        Assert.True(exact);
        Assert.Equal(GemmParallel.Supported ? calls : 0, threads.SplitCalls);
    }

    /// <summary>How long no split call may complete before the hand-off is taken to have hung.</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    /// <summary>Waits for <paramref name="runner"/>; null when it finished, else a report of the stall with the group's state.</summary>
    internal static string? WatchProgress(Thread runner, Func<int> completed, KernelThreads group)
    {
        int last = completed();
        var sinceProgress = System.Diagnostics.Stopwatch.StartNew();
        while (!runner.Join(100))
        {
            int now = completed();
            if (now != last)
            {
                last = now;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed > StallLimit)
            {
                return $"no split call completed for {StallLimit.TotalSeconds} s after {now} calls: {group.DescribeState()}";
            }
        }

        return null;
    }

    /// <summary>Two threads, each with its own group, and two threads sharing one group (the second finds it busy and runs inline): every result exact.</summary>
    [Fact]
    public void GroupsWorkFromSeveralThreadsAtOnce()
    {
        using var own1 = new KernelThreads(2);
        using var own2 = new KernelThreads(2);
        using var shared = new KernelThreads(2);
        bool[] ok = new bool[4];
        var runners = new[]
        {
            new Thread(() => ok[0] = Repeat(own1, 1)),
            new Thread(() => ok[1] = Repeat(own2, 2)),
            new Thread(() => ok[2] = Repeat(shared, 3)),
            new Thread(() => ok[3] = Repeat(shared, 4)),
        };
        foreach (Thread t in runners)
        {
            t.Start();
        }

        foreach (Thread t in runners)
        {
            t.Join();
        }

        Assert.Equal([true, true, true, true], ok);
        Assert.True((own1.SplitCalls > 0 && own2.SplitCalls > 0 && shared.SplitCalls > 0) || !GemmParallel.Supported);

        static bool Repeat(KernelThreads threads, int seed)
        {
            bool all = true;
            for (int i = 0; i < 30; i++)
            {
                all &= SameBits<float>(new Case(96 + i, 160, 70, (i & 1) != 0, (i & 2) != 0, 0, 1, 0, 1, 0, (seed * 100) + i), threads, checkSplit: false);
            }

            return all;
        }
    }

    internal static bool SameBits<T>(Case c, KernelThreads? threads = null, bool publicThreshold = false, bool checkSplit = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int aRows, int aCols) = c.TransposeA ? (c.K, c.M) : (c.M, c.K);
        (int bRows, int bCols) = c.TransposeB ? (c.N, c.K) : (c.K, c.N);
        int lda = aCols + c.PadA, ldb = bCols + c.PadB, ldc = c.N + c.PadC;
        T[] a = Gens.Random<T>(aRows * lda, c.Seed, 1);
        T[] b = Gens.Random<T>(bRows * ldb, c.Seed + 1, 1);
        T[] c0 = Gens.Random<T>(c.M * ldc, c.Seed + 2, 1);
        T alpha = T.CreateTruncating(c.Alpha), beta = T.CreateTruncating(c.Beta);
        T[] serial = Multiply(null);
        foreach (KernelThreads group in threads is null ? [Two, Three] : new[] { threads })
        {
            long before = group.SplitCalls;
            T[] split = Multiply(group);
            if (!TestBits(serial, split))
            {
                return false;
            }

            // The split must have happened whenever there were two tiles to share (else the test proves
            // nothing). The split cuts the larger dimension (columns on a tie) in whole micro-tiles:
            // NR columns or MR rows, which differ at most widths.
            bool splittable = group.DegreeOfParallelism > 1 && TilesAlongSplit<T>(c.M, c.N) >= 2 && GemmParallel.Supported;
            if (checkSplit && !publicThreshold && splittable && group.LiveWorkers > 0 && group.SplitCalls == before)
            {
                return false;
            }

            // And a product of one tile is never split (there is nothing to share).
            if (!publicThreshold && !splittable && group.SplitCalls != before)
            {
                return false;
            }
        }

        return true;

        T[] Multiply(KernelThreads? group)
        {
            T[] result = (T[])c0.Clone();
            ReadOnlyMatrixSpan<T> av = new(a, aRows, aCols, lda), bv = new(b, bRows, bCols, ldb);
            MatrixSpan<T> cv = new(result, c.M, c.N, ldc);
            MatrixOperation opA = c.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None, opB = c.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None;
            if (publicThreshold)
            {
                Gemm.Multiply(opA, av, opB, bv, cv, alpha, beta, group);
            }
            else
            {
                Gemm.Multiply(opA, av, opB, bv, cv, alpha, beta, GemmPath.Packed, group, minimumParallelWork: 0);
            }

            return result;
        }
    }

    /// <summary>Micro-tiles along the dimension a split cuts: N in NR columns when N ≥ M, else M in MR rows.</summary>
    private static int TilesAlongSplit<T>(int m, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        n >= m ? (n + GemmPacked.NR<T>() - 1) / GemmPacked.NR<T>() : (m + GemmPacked.MR<T>() - 1) / GemmPacked.MR<T>();

    private static bool TestBits<T>(T[] x, T[] y)
        where T : unmanaged
    {
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()));
    }
}

/// <summary>Allocation of split calls on every thread of the group, quiet and contended: runs alone.</summary>
[Collection(nameof(ProcessAllocations))]
public class KernelThreadsAllocationProperties(ITestOutputHelper output)
{
    /// <summary>
    /// Serial and split products, float and double, A·B and Aᵀ·Bᵀ: nothing allocated on the calling
    /// thread nor on the workers (their own per-thread counters), on a quiet machine and with every
    /// core busy, where the caller and the workers block and are woken.
    /// </summary>
    [Fact]
    public void SplitCallsAllocateNothingOnAnyThread()
    {
        using var threads = new KernelThreads(2);
        float[] a = Gens.Random<float>(200 * 300, 1, 1), b = Gens.Random<float>(300 * 170, 2, 1), c = new float[200 * 170];
        double[] ad = Gens.Random<double>(200 * 300, 1, 1), bd = Gens.Random<double>(300 * 170, 2, 1), cd = new double[200 * 170];
        void Calls()
        {
            for (MatrixOperation op = MatrixOperation.None; op <= MatrixOperation.Transpose; op++)
            {
                var aView = op == MatrixOperation.None ? new ReadOnlyMatrixSpan<float>(a, 200, 300) : new ReadOnlyMatrixSpan<float>(a, 300, 200);
                var bView = op == MatrixOperation.None ? new ReadOnlyMatrixSpan<float>(b, 300, 170) : new ReadOnlyMatrixSpan<float>(b, 170, 300);
                Gemm.Multiply(op, aView, op, bView, new MatrixSpan<float>(c, 200, 170), 1f, 0.5f, threads);
                Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<double>(ad, 200, 300), op, op == MatrixOperation.None ? new ReadOnlyMatrixSpan<double>(bd, 300, 170) : new ReadOnlyMatrixSpan<double>(bd, 170, 300), new MatrixSpan<double>(cd, 200, 170), 1, 0, threads);
            }
        }

        (ProcessAllocations.Phase quiet, ProcessAllocations.Phase contended) = ProcessAllocations.Measure(threads, Calls, repetitions: 10);
        output.WriteLine($"quiet: {quiet}");
        output.WriteLine($"contended: {contended}");
        Assert.True(threads.SplitCalls >= 100 || !GemmParallel.Supported, $"only {threads.SplitCalls} calls were split");
        Assert.Equal((0L, 0L), (quiet.Caller, quiet.Workers));
        Assert.Equal((0L, 0L), (contended.Caller, contended.Workers));
        Assert.True(contended.BlockedWaits > 0 || !GemmParallel.Supported, $"the contended phase never blocked: {contended}");
    }

    /// <summary>
    /// The hand-off's wake-up signal allocates nothing even the first time a thread blocks on a new
    /// instance (a <see cref="ManualResetEventSlim"/> creates its lock object then: on a busy machine
    /// that first block can come long after warm-up, inside a zero-allocation window).
    /// </summary>
    [Fact]
    public void ASignalsFirstBlockAndWakeUpAllocateNothing()
    {
        // Compile both paths first, on another instance: the JIT is not what is measured.
        var warm = new Signal();
        var warmWaiter = new Thread(warm.Wait);
        warmWaiter.Start();
        SpinWait.SpinUntil(() => warm.BlockedWaits > 0);
        warm.Set();
        warmWaiter.Join();

        var signal = new Signal();
        long waiterBytes = -1;
        var waiter = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            signal.Wait();
            waiterBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        waiter.Start();
        Assert.True(SpinWait.SpinUntil(() => signal.BlockedWaits > 0, TimeSpan.FromSeconds(30)), "the waiter never blocked");
        long setterBefore = GC.GetAllocatedBytesForCurrentThread();
        signal.Set();
        long setterBytes = GC.GetAllocatedBytesForCurrentThread() - setterBefore;
        waiter.Join();
        Assert.Equal((0L, 0L), (waiterBytes, setterBytes));
        Assert.True(signal.IsSet);
    }
}
