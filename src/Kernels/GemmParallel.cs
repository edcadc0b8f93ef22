using System.Numerics;

namespace Backprop.Kernels;

/// <summary>
/// The packed GEMM split across a <see cref="KernelThreads"/> group: the larger of C's dimensions is
/// cut into contiguous ranges of whole micro-tiles (NR columns or MR rows), one per thread, and each
/// thread runs the serial packed path on its range with its own packing buffer and the full depth.
/// Every C tile is computed exactly as on one thread (same KC blocks, same full/edge tile case), so
/// results are bit-identical for every degree of parallelism.
/// </summary>
internal static unsafe class GemmParallel
{
    /// <summary>
    /// The least m·n·k worth splitting: below it the hand-off to a parked worker (a few µs) costs more
    /// than it saves. Measured: alone in a loop (<c>benchmarks/Kernels/ParallelGemmBenchmarks</c>,
    /// float, 256-bit) two threads lose at 48³ (0.79×) and win from 64³ (1.26×) and at 96³ (1.57×);
    /// but inside whole epochs (<c>benchmarks/EndToEnd/EpochBenchmarks</c>) a 64-128-10 network at
    /// batch 64, whose largest products are 64·128·64 = 524,288 multiply-adds, ran 0.96× (256-bit) and
    /// 0.83× (512-bit) on two threads. So the bar is 96³ = 884,736: those products stay serial, and
    /// a 784-256-10 step's (25.7 M) split.
    /// </summary>
    public const long MinimumWork = 96L * 96 * 96;

    /// <summary>
    /// Whether products and element-wise work are split at all: whenever the kernels run SIMD code
    /// (<see cref="KernelSimd.VectorBits"/> ≠ 0: at scalar width GEMM never takes the packed path). Between 29 Nov and this change it required 256-bit SIMD, because the
    /// bit-identity property failed once at 128-bit <c>Vector&lt;T&gt;</c> for double. The cause was
    /// the property, not the kernel: its "the split must have happened" check used NR as the unit of
    /// both dimensions, while a row split cuts M in MR-row tiles; at 128-bit double NR (4) &lt; MR (8),
    /// so an 8-row product narrower than it is tall, which has one row tile and is never split, was
    /// reported as a failure (a Fact in <c>KernelThreadsProperties</c> reproduces it). The property
    /// now counts tiles with <see cref="GemmPacked.MR{T}"/> and <see cref="GemmPacked.NR{T}"/>.
    /// </summary>
    public static bool Supported => KernelSimd.VectorBits != 0;

    /// <summary>Most chunks per thread.</summary>
    private const int ChunksPerThread = 2;

    /// <summary>
    /// Runs the product across <paramref name="threads"/> when it is large enough and the workers are
    /// free; false leaves it to the caller. The caller's parts pack into <paramref name="callerWorkspace"/>
    /// (null: the group's buffer for part 0), each worker's into its own.
    /// </summary>
    public static bool TryRun<T>(KernelThreads threads, in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, long minimumWork, GemmWorkspace<T>? callerWorkspace = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        TryRun<T, NoEpilogue<T>>(threads, o, c, alpha, beta, default, minimumWork, callerWorkspace);

    /// <summary>
    /// <see cref="TryRun{T}"/> with an epilogue and optional column sums of op(B). A column split
    /// gives each part its columns' bias, aux and sums; a row split gives each part its rows' aux,
    /// and the column sums to the part that starts at row 0 only (every part packs all of B, and
    /// one of them sums it, in the same order as one thread).
    /// </summary>
    public static bool TryRun<T, TEpilogue>(KernelThreads threads, in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, in GemmEpilogueData<T> epilogue, long minimumWork, GemmWorkspace<T>? callerWorkspace = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        if (!Supported || threads.DegreeOfParallelism < 2 || (long)o.M * o.N * o.K < minimumWork)
        {
            return false;
        }

        // Split the larger dimension: each thread repacks the other operand's whole block, so the
        // duplicated packing is the smaller one.
        bool splitColumns = o.N >= o.M;
        int unit = splitColumns ? GemmPacked.NR<T>() : GemmPacked.MR<T>();
        int units = ((splitColumns ? o.N : o.M) + unit - 1) / unit;
        int parts = Math.Min(threads.DegreeOfParallelism, units);
        if (parts < 2 || !threads.TryEnter())
        {
            return false;
        }

        // A few chunks per thread, claimed dynamically, so a thread the OS delays (another process
        // on the core) leaves its share to the others instead of stalling the call; chunks of at
        // least ~128 columns or rows keep the repacking of the other operand small.
        int chunks = Math.Clamp(units / Math.Max(1, 128 / unit), parts, ChunksPerThread * parts);

        TileJob<T, TEpilogue> job = threads.PreallocatedJob<TileJob<T, TEpilogue>>();
        fixed (T* pa = o.A.Span)
        fixed (T* pb = o.B.Span)
        fixed (T* pc = c.Span)
        fixed (T* pbias = epilogue.Bias)
        fixed (T* paux = epilogue.Aux.Span)
        fixed (T* psums = epilogue.ColumnSums)
        {
            job.Bias = pbias;
            job.BiasLength = epilogue.Bias.Length;
            job.Aux = new View<T>(paux, epilogue.Aux.Span.Length, epilogue.Aux.Rows, epilogue.Aux.Columns, epilogue.Aux.Stride);
            job.Sums = psums;
            job.SumsLength = epilogue.ColumnSums.Length;
            job.A = new View<T>(pa, o.A.Span.Length, o.A.Rows, o.A.Columns, o.A.Stride);
            job.B = new View<T>(pb, o.B.Span.Length, o.B.Rows, o.B.Columns, o.B.Stride);
            job.C = new View<T>(pc, c.Span.Length, c.Rows, c.Columns, c.Stride);
            job.TransposeA = o.TransposeA;
            job.TransposeB = o.TransposeB;
            job.M = o.M;
            job.N = o.N;
            job.K = o.K;
            job.Alpha = alpha;
            job.Beta = beta;
            job.SplitColumns = splitColumns;
            job.Unit = unit;
            job.Units = units;
            job.Chunks = chunks;
            job.Next = 0;
            job.Threads = threads;
            job.CallerWorkspace = callerWorkspace;
            try
            {
                threads.RunAndExit(job, parts);
            }
            finally
            {
                // The job outlives the call in the group's table, which the workers reach: holding
                // the group there would keep an undisposed group alive, and the caller's buffer too.
                job.Threads = null;
                job.CallerWorkspace = null;
            }
        }

        return true;
    }

    /// <summary>A matrix view as a pinned address (valid while the caller waits in <see cref="TryRun{T}"/>).</summary>
    internal readonly struct View<T>(T* data, int length, int rows, int columns, int stride)
        where T : unmanaged
    {
        public readonly T* Data = data;
        public readonly int Length = length;
        public readonly int Rows = rows;
        public readonly int Columns = columns;
        public readonly int Stride = stride;

        public ReadOnlyMatrixSpan<T> ReadOnly() => new(new ReadOnlySpan<T>(Data, Length), Rows, Columns, Stride, trusted: true);

        public MatrixSpan<T> Writable() => new(new Span<T>(Data, Length), Rows, Columns, Stride, trusted: true);
    }

    /// <summary>The parameters of the current product, set by the calling thread before the workers start.</summary>
    internal sealed class TileJob<T, TEpilogue> : KernelJob
        where T : unmanaged, IFloatingPointIeee754<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        public View<T> A, B, C, Aux;
        public T* Bias, Sums;
        public int BiasLength, SumsLength;
        public bool TransposeA, TransposeB, SplitColumns;
        public int M, N, K, Unit, Units;
        public T Alpha, Beta;

        public int Chunks;
        public int Next;

        /// <summary>The group running the job (its participants' packing buffers).</summary>
        public KernelThreads? Threads;

        /// <summary>The caller's packing buffer for part 0, or null for the group's.</summary>
        public GemmWorkspace<T>? CallerWorkspace;

        public override void Execute(int part, int parts)
        {
            GemmWorkspace<T> workspace = part == 0 && CallerWorkspace is { } own ? own : Threads!.GemmWorkspace<T>(part);
            int chunk;
            while ((chunk = Interlocked.Increment(ref Next) - 1) < Chunks)
            {
                RunChunk(chunk, workspace);
            }
        }

        private void RunChunk(int chunk, GemmWorkspace<T> workspace)
        {
            int first = (int)((long)Units * chunk / Chunks) * Unit;
            int end = Math.Min((int)((long)Units * (chunk + 1) / Chunks) * Unit, SplitColumns ? N : M);
            int count = end - first;
            if (count <= 0)
            {
                return;
            }

            ReadOnlyMatrixSpan<T> a = A.ReadOnly(), b = B.ReadOnly(), aux = Aux.ReadOnly();
            MatrixSpan<T> c = C.Writable();
            var bias = new ReadOnlySpan<T>(Bias, BiasLength);
            var sums = new Span<T>(Sums, SumsLength);
            if (SplitColumns)
            {
                // Columns [first, end) of op(B), of C, and of the epilogue's operands.
                b = TransposeB ? b.SliceRows(first, count) : b.SliceColumns(first, count);
                c = SliceColumns(c, first, count);
                var epilogue = new GemmEpilogueData<T>(
                    bias.IsEmpty ? default : bias.Slice(first, count),
                    aux.IsEmpty ? default : aux.SliceColumns(first, count),
                    sums.IsEmpty ? default : sums.Slice(first, count));
                GemmPacked.Run<T, TEpilogue>(new GemmOperands<T>(a, TransposeA, b, TransposeB, M, count, K), c, Alpha, Beta, epilogue, workspace);
            }
            else
            {
                // Rows [first, end) of op(A), of C and of the aux matrix; the column sums only in the part of row 0.
                a = TransposeA ? a.SliceColumns(first, count) : a.SliceRows(first, count);
                c = c.SliceRows(first, count);
                var epilogue = new GemmEpilogueData<T>(bias, aux.IsEmpty ? default : aux.SliceRows(first, count), first == 0 ? sums : default);
                GemmPacked.Run<T, TEpilogue>(new GemmOperands<T>(a, TransposeA, b, TransposeB, count, N, K), c, Alpha, Beta, epilogue, workspace);
            }
        }

        private static MatrixSpan<T> SliceColumns(MatrixSpan<T> c, int start, int count) =>
            new(c.Span.Slice(start, (int)MatrixShape.RequiredLength(c.Rows, count, c.Stride)), c.Rows, count, c.Stride, trusted: true);
    }
}
