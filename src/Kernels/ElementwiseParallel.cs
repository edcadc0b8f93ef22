using System.Numerics;

namespace Backprop.Kernels;

/// <summary>Element-wise kernels the trainer splits across a <see cref="KernelThreads"/> group.</summary>
internal enum ElementwiseKind
{
    Sigmoid,
    Tanh,
    Relu,
    SigmoidBackward,
    TanhBackward,
    ReluBackward,
}

/// <summary>
/// Splits element-wise kernels over contiguous ranges whose lengths are multiples of a vector width
/// (every element then goes through the same vector operation as on one thread: bit-identical).
/// Also the range arithmetic shared with other splitters (the optimiser step).
/// </summary>
internal static unsafe class ElementwiseParallel
{
    /// <summary>
    /// The least elements worth splitting. Measured with the stopwatch harness (sigmoid forward and
    /// backward, float and double, 1 vs 2 threads): 2 threads start to win between 16 Ki and 32 Ki
    /// elements (≈ 10–20 µs of work per call).
    /// </summary>
    public const int MinimumElements = 32 * 1024;

    /// <summary>Ranges per thread, claimed dynamically.</summary>
    public const int ChunksPerThread = 4;

    /// <summary>Start of range <paramref name="index"/> of <paramref name="chunks"/> over <paramref name="length"/> elements, a multiple of the vector width.</summary>
    public static int ChunkStart<T>(int length, int index, int chunks)
    {
        int width = Vector<T>.Count;
        int vectors = length / width;
        return index >= chunks ? length : (int)((long)vectors * index / chunks) * width;
    }

    /// <summary>How many ranges to cut <paramref name="length"/> elements into for <paramref name="threads"/>; below 2, run serially.</summary>
    public static int Chunks<T>(KernelThreads? threads, int length)
    {
        if (threads is null || threads.DegreeOfParallelism < 2 || length < MinimumElements || !GemmParallel.Supported)
        {
            return 1;
        }

        return Math.Min(ChunksPerThread * threads.DegreeOfParallelism, length / (MinimumElements / 4));
    }

    /// <summary>Runs <c>d = op(x)</c> or <c>d = op(x, y)</c> across <paramref name="threads"/>, or on the calling thread when small or busy.</summary>
    public static void Run<T>(KernelThreads? threads, ElementwiseKind kind, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = Chunks<T>(threads, d.Length);
        if (chunks < 2 || !threads!.TryEnter())
        {
            Job<T>.Apply(kind, x, y, d);
            return;
        }

        Job<T> job = threads.ElementwiseJob<T>();
        fixed (T* px = x)
        fixed (T* py = y)
        fixed (T* pd = d)
        {
            job.Kind = kind;
            job.X = px;
            job.Y = py;
            job.D = pd;
            job.Length = d.Length;
            job.Chunks = chunks;
            job.Next = 0;
            threads.RunAndExit(job, Math.Min(threads.DegreeOfParallelism, chunks));
        }
    }

    /// <summary>The parameters of the current call, set before the workers start.</summary>
    internal sealed class Job<T> : KernelWork
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ElementwiseKind Kind;
        public T* X, Y, D;
        public int Length, Chunks, Next;

        public override void Execute(int part, int parts)
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref Next) - 1) < Chunks)
            {
                int start = ChunkStart<T>(Length, chunk, Chunks);
                int end = chunk == Chunks - 1 ? Length : ChunkStart<T>(Length, chunk + 1, Chunks);
                int count = end - start;
                Apply(Kind, new ReadOnlySpan<T>(X + start, count), Y == null ? default : new ReadOnlySpan<T>(Y + start, count), new Span<T>(D + start, count));
            }
        }

        public static void Apply(ElementwiseKind kind, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        {
            switch (kind)
            {
                case ElementwiseKind.Sigmoid:
                    Activations.Sigmoid(x, d);
                    break;
                case ElementwiseKind.Tanh:
                    Activations.Tanh(x, d);
                    break;
                case ElementwiseKind.Relu:
                    Activations.Relu(x, d);
                    break;
                case ElementwiseKind.SigmoidBackward:
                    Activations.SigmoidBackward(x, y, d);
                    break;
                case ElementwiseKind.TanhBackward:
                    Activations.TanhBackward(x, y, d);
                    break;
                default:
                    Activations.ReluBackward(x, y, d);
                    break;
            }
        }
    }
}
