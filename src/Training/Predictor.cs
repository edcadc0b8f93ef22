using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Thread-safe prediction with a trained <see cref="Network{T}"/>. Each call rents a workspace from
/// a <see cref="WorkspacePool{T}"/> and returns it, so concurrent callers never share buffers; the
/// pool never drops a workspace, so once it holds as many as the most concurrent callers so far,
/// predictions allocate nothing, under any number of threads.
/// Inputs of any row count are processed in chunks of <see cref="MaxBatchSize"/> rows.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>Do not train the network while predicting with it: prediction reads the parameters without locking.</remarks>
public sealed class Predictor<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a predictor with its own pool.</summary>
    /// <param name="network">The trained network (shared, read-only here).</param>
    /// <param name="maxBatchSize">Rows per forward pass (the pooled workspaces' size), ≥ 1.</param>
    /// <param name="maximumRetained">The pool's initial room for idle workspaces (0: twice the processor count). The pool grows past it rather than drop a workspace, so this is a sizing hint, not a limit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public Predictor(Network<T> network, int maxBatchSize = 256, int maximumRetained = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegative(maximumRetained);
        Network = network;
        int retained = maximumRetained == 0 ? 2 * Environment.ProcessorCount : maximumRetained;
        Pool = new WorkspacePool<T>(new WorkspacePoolPolicy<T>(network.Shape, maxBatchSize), retained);
        MaxBatchSize = maxBatchSize;
    }

    /// <summary>The network predictions come from.</summary>
    public Network<T> Network { get; }

    /// <summary>Rows per forward pass.</summary>
    public int MaxBatchSize { get; }

    /// <summary>The workspace pool, for callers that rent explicitly (e.g. to pre-fill it for a known number of threads, or to call <see cref="Network{T}"/>'s workspace overloads).</summary>
    public Microsoft.Extensions.ObjectPool.ObjectPool<Workspace<T>> Pool { get; }

    /// <summary>Class probabilities for every row of <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Rows of <see cref="NetworkShape.Inputs"/> finite features, any number, any stride.</param>
    /// <param name="probabilities">Shape (rows, <see cref="NetworkShape.Outputs"/>); each row sums to 1.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, or wrong destination shape.</exception>
    public void PredictProbabilities(ReadOnlyMatrixSpan<T> inputs, MatrixSpan<T> probabilities)
    {
        Workspace<T> workspace = Pool.Get();
        try
        {
            Network.PredictProbabilities(inputs, probabilities, workspace);
        }
        finally
        {
            Pool.Return(workspace);
        }
    }

    /// <summary>The most probable class of every row of <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Rows of <see cref="NetworkShape.Inputs"/> finite features, any number, any stride.</param>
    /// <param name="classes">One class index per row.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, or wrong destination length.</exception>
    public void PredictClasses(ReadOnlyMatrixSpan<T> inputs, Span<int> classes)
    {
        Workspace<T> workspace = Pool.Get();
        try
        {
            Network.PredictClasses(inputs, classes, workspace);
        }
        finally
        {
            Pool.Return(workspace);
        }
    }

    /// <summary>Mean cross-entropy and accuracy over labelled rows.</summary>
    /// <param name="inputs">At least one row of finite features.</param>
    /// <param name="labels">The class of each row.</param>
    /// <returns>Loss, accuracy and row count.</returns>
    /// <exception cref="ArgumentException">Bad inputs or labels.</exception>
    public Evaluation Evaluate(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        Workspace<T> workspace = Pool.Get();
        try
        {
            return Network.Evaluate(inputs, labels, workspace);
        }
        finally
        {
            Pool.Return(workspace);
        }
    }

    /// <summary>Adds labelled (already scaled) rows to <paramref name="metrics"/>: confusion matrix, per-class counts and the exact log-loss. Allocates nothing once the pool is warm.</summary>
    /// <param name="inputs">Rows of <see cref="NetworkShape.Inputs"/> finite features, any number, any stride.</param>
    /// <param name="labels">The class of each row.</param>
    /// <param name="metrics">Metrics for <see cref="NetworkShape.Outputs"/> classes; rows are added to what it holds.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    /// <exception cref="ArgumentException">Bad inputs, labels of the wrong length, or metrics for another number of classes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label outside [0, outputs).</exception>
    public void Evaluate(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels, ClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        NetworkShape shape = Network.Shape;
        DataArguments.Features(inputs, shape.Inputs, nameof(inputs));
        DataArguments.Labels(labels, inputs.Rows, shape.Outputs, nameof(labels));
        if (metrics.ClassCount != shape.Outputs)
        {
            throw new ArgumentException($"The metrics are for {metrics.ClassCount} classes; the network has {shape.Outputs}.", nameof(metrics));
        }

        Workspace<T> workspace = Pool.Get();
        try
        {
            for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
                MatrixSpan<T> logits = Backpropagation.Forward(Network, workspace, inputs.SliceRows(start, rows));
                metrics.AddLogits<T>(logits, labels.Slice(start, rows), workspace.Classes(rows));
            }
        }
        finally
        {
            Pool.Return(workspace);
        }
    }
}
