using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// An optimiser step split across a <see cref="KernelThreads"/> group: ranges of whole vectors of
/// the parameter buffer, claimed dynamically. Preallocated by the trainer; the buffers' pinned
/// addresses are valid while the calling thread waits in <see cref="Run"/>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed unsafe class OptimizerStepJob<T> : KernelWork
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Optimizer<T>? _optimizer;
    private T* _parameters;
    private T* _gradients;
    private int _length;
    private T _learningRate;
    private long _stepNumber;
    private int _chunks;
    private int _next;

    /// <summary>Runs the step after a successful <see cref="KernelThreads"/> enter (which this releases).</summary>
    public void Run(KernelThreads threads, Optimizer<T> optimizer, Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, int chunks)
    {
        fixed (T* p = parameters)
        fixed (T* g = gradients)
        {
            _optimizer = optimizer;
            _parameters = p;
            _gradients = g;
            _length = parameters.Length;
            _learningRate = learningRate;
            _stepNumber = stepNumber;
            _chunks = chunks;
            _next = 0;
            try
            {
                threads.RunAndExit(this, Math.Min(threads.DegreeOfParallelism, chunks));
            }
            finally
            {
                _optimizer = null;
            }
        }
    }

    public override void Execute(int part, int parts)
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref _next) - 1) < _chunks)
        {
            int start = ElementwiseParallel.ChunkStart<T>(_length, chunk, _chunks);
            int end = chunk == _chunks - 1 ? _length : ElementwiseParallel.ChunkStart<T>(_length, chunk + 1, _chunks);
            _optimizer!.ApplyRange(new Span<T>(_parameters + start, end - start), new ReadOnlySpan<T>(_gradients + start, end - start), _learningRate, _stepNumber, start);
        }
    }
}
