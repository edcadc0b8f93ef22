using System.Numerics;

namespace Backprop.Kernels;

/// <summary>A piece of element-wise work over elements [start, start + count) of buffers pinned by the caller.</summary>
internal interface IRangeKernel
{
    /// <summary>Runs the kernel over elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    void Run(int start, int count);
}

/// <summary>
/// The one parallel driver of the element-wise kernels (activations, their backward passes, the
/// optimiser updates): cuts the buffer into contiguous ranges whose lengths are whole vectors of the
/// chosen width, claimed dynamically by the threads of a <see cref="KernelThreads"/> group. Every
/// range holds at least one vector, so each element goes through the same vector operation as in a
/// single call: results are bit-identical for every degree of parallelism.
/// </summary>
internal static unsafe class ElementwiseParallel
{
    /// <summary>
    /// The least elements worth splitting. Measured with the stopwatch harness (sigmoid forward and
    /// backward, float and double, 1 vs 2 threads, 256-bit): 2 threads start to win between 16 Ki and
    /// 32 Ki elements (≈ 10–20 µs of work per call).
    /// </summary>
    public const int MinimumElements = 32 * 1024;

    /// <summary>Ranges per thread, claimed dynamically.</summary>
    public const int ChunksPerThread = 4;

    /// <summary>Start of range <paramref name="index"/> of <paramref name="chunks"/> over <paramref name="length"/> elements, a multiple of the vector width.</summary>
    public static int ChunkStart<T>(int length, int index, int chunks)
        where T : unmanaged
    {
        int width = SimdWidth.Lanes<T>();
        int vectors = length / width;
        return index >= chunks ? length : (int)((long)vectors * index / chunks) * width;
    }

    /// <summary>
    /// Whether element-wise work is split at all: at every width, scalar included. (For a while it was
    /// limited to 256 bits and up because the process-wide allocation test saw 336 B in every window at
    /// the scalar width; the group's own per-thread counters show those bytes were the test host's, not
    /// the calling thread's nor the workers'.)
    /// </summary>
    public static bool Supported => true;

    /// <summary>How many ranges to cut <paramref name="length"/> elements into for <paramref name="threads"/>; below 2, run on the calling thread.</summary>
    /// <remarks>Each range is at least <see cref="MinimumElements"/> / 4 elements, far more than one vector at any width.</remarks>
    public static int Chunks(KernelThreads? threads, int length)
    {
        if (threads is null || threads.DegreeOfParallelism < 2 || length < MinimumElements || !Supported)
        {
            return 1;
        }

        return Math.Min(ChunksPerThread * threads.DegreeOfParallelism, length / (MinimumElements / 4));
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="length"/> elements across <paramref name="threads"/>,
    /// or in one call on the calling thread when the work is small, the group has one thread, or its
    /// workers are busy with another call. The kernel's buffers must stay pinned until this returns.
    /// </summary>
    public static void Run<T, TKernel>(KernelThreads? threads, int length, TKernel kernel)
        where T : unmanaged
        where TKernel : struct, IRangeKernel
    {
        int chunks = Chunks(threads, length);
        if (chunks < 2 || !threads!.TryEnter())
        {
            kernel.Run(0, length);
            return;
        }

        RangeJob<T, TKernel> job = threads.PreallocatedJob<RangeJob<T, TKernel>>();
        job.Kernel = kernel;
        job.Length = length;
        job.Chunks = chunks;
        job.Next = 0;
        threads.RunAndExit(job, Math.Min(threads.DegreeOfParallelism, chunks));
    }

    /// <summary><c>d = op(x)</c> across <paramref name="threads"/>; arguments already checked.</summary>
    public static void Map<T, TOp>(KernelThreads? threads, ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        if (threads is null)
        {
            ElementwiseDriver.Map(x, d, op);
            return;
        }

        fixed (T* px = x)
        fixed (T* pd = d)
        {
            Run<T, UnaryRange<T, TOp>>(threads, d.Length, new UnaryRange<T, TOp>(px, pd, op));
        }
    }

    /// <summary><c>d = op(x, y)</c> across <paramref name="threads"/>; arguments already checked.</summary>
    public static void Map<T, TOp>(KernelThreads? threads, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        if (threads is null)
        {
            ElementwiseDriver.Map(x, y, d, op);
            return;
        }

        fixed (T* px = x)
        fixed (T* py = y)
        fixed (T* pd = d)
        {
            Run<T, BinaryRange<T, TOp>>(threads, d.Length, new BinaryRange<T, TOp>(px, py, pd, op));
        }
    }

    /// <summary><c>p ← op(p, g)</c> across <paramref name="threads"/>; arguments already checked.</summary>
    public static void Update<T, TOp>(KernelThreads? threads, Span<T> p, ReadOnlySpan<T> g, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator<T>
    {
        if (threads is null)
        {
            ElementwiseDriver.Update(p, g, op);
            return;
        }

        fixed (T* pp = p)
        fixed (T* pg = g)
        {
            Run<T, UpdateRange<T, TOp>>(threads, p.Length, new UpdateRange<T, TOp>(pp, pg, op));
        }
    }

    /// <summary><c>(p, s) ← op(p, g, s)</c> across <paramref name="threads"/>; arguments already checked.</summary>
    public static void Update<T, TOp>(KernelThreads? threads, Span<T> p, ReadOnlySpan<T> g, Span<T> s, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator1<T>
    {
        if (threads is null)
        {
            ElementwiseDriver.Update(p, g, s, op);
            return;
        }

        fixed (T* pp = p)
        fixed (T* pg = g)
        fixed (T* ps = s)
        {
            Run<T, Update1Range<T, TOp>>(threads, p.Length, new Update1Range<T, TOp>(pp, pg, ps, op));
        }
    }

    /// <summary><c>(p, s, t) ← op(p, g, s, t)</c> across <paramref name="threads"/>; arguments already checked.</summary>
    public static void Update<T, TOp>(KernelThreads? threads, Span<T> p, ReadOnlySpan<T> g, Span<T> s, Span<T> t, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator2<T>
    {
        if (threads is null)
        {
            ElementwiseDriver.Update(p, g, s, t, op);
            return;
        }

        fixed (T* pp = p)
        fixed (T* pg = g)
        fixed (T* ps = s)
        fixed (T* pt = t)
        {
            Run<T, Update2Range<T, TOp>>(threads, p.Length, new Update2Range<T, TOp>(pp, pg, ps, pt, op));
        }
    }

    /// <summary>The chunk loop, written once: the parameters of the current call, set before the workers start.</summary>
    /// <typeparam name="T">The element type (sets the chunk alignment).</typeparam>
    /// <typeparam name="TKernel">The work per range.</typeparam>
    internal sealed class RangeJob<T, TKernel> : KernelJob
        where T : unmanaged
        where TKernel : struct, IRangeKernel
    {
        public TKernel Kernel;
        public int Length, Chunks, Next;

        public override void Execute(int part, int parts)
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref Next) - 1) < Chunks)
            {
                int start = ChunkStart<T>(Length, chunk, Chunks);
                int end = chunk == Chunks - 1 ? Length : ChunkStart<T>(Length, chunk + 1, Chunks);
                Kernel.Run(start, end - start);
            }
        }
    }

    private readonly struct UnaryRange<T, TOp>(T* x, T* d, TOp op) : IRangeKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        private readonly T* _x = x, _d = d;
        private readonly TOp _op = op;

        public void Run(int start, int count) =>
            ElementwiseDriver.Map(new ReadOnlySpan<T>(_x + start, count), new Span<T>(_d + start, count), _op);
    }

    private readonly struct BinaryRange<T, TOp>(T* x, T* y, T* d, TOp op) : IRangeKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        private readonly T* _x = x, _y = y, _d = d;
        private readonly TOp _op = op;

        public void Run(int start, int count) =>
            ElementwiseDriver.Map(new ReadOnlySpan<T>(_x + start, count), new ReadOnlySpan<T>(_y + start, count), new Span<T>(_d + start, count), _op);
    }

    private readonly struct UpdateRange<T, TOp>(T* p, T* g, TOp op) : IRangeKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator<T>
    {
        private readonly T* _p = p, _g = g;
        private readonly TOp _op = op;

        public void Run(int start, int count) =>
            ElementwiseDriver.Update(new Span<T>(_p + start, count), new ReadOnlySpan<T>(_g + start, count), _op);
    }

    private readonly struct Update1Range<T, TOp>(T* p, T* g, T* s, TOp op) : IRangeKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator1<T>
    {
        private readonly T* _p = p, _g = g, _s = s;
        private readonly TOp _op = op;

        public void Run(int start, int count) =>
            ElementwiseDriver.Update(new Span<T>(_p + start, count), new ReadOnlySpan<T>(_g + start, count), new Span<T>(_s + start, count), _op);
    }

    private readonly struct Update2Range<T, TOp>(T* p, T* g, T* s, T* t, TOp op) : IRangeKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator2<T>
    {
        private readonly T* _p = p, _g = g, _s = s, _t = t;
        private readonly TOp _op = op;

        public void Run(int start, int count) =>
            ElementwiseDriver.Update(new Span<T>(_p + start, count), new ReadOnlySpan<T>(_g + start, count), new Span<T>(_s + start, count), new Span<T>(_t + start, count), _op);
    }
}
