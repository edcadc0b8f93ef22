using System.Numerics;
using Backprop.Kernels;
using Backprop.Training.Inference;

namespace Backprop.Training;

/// <summary>
/// Thread-safe prediction with a trained <see cref="Network{T}"/>, on the inference path of
/// <see cref="Persistence.TrainedModel{T}"/>: the parameters copied and packed once, when the predictor
/// is created (for GemmFewRows and, for layers wide enough, the packed GEMM's micro-kernel), so no call
/// packs the weights; each layer of a pass takes the packed GEMM for its whole tiles of rows from a
/// per-width crossover and GemmFewRows for the rest. Each call rents a workspace from a
/// <see cref="WorkspacePool{T}"/> and returns it, so concurrent callers never share buffers; the pool
/// never drops a workspace, so once it holds as many as the most concurrent callers so far,
/// predictions allocate nothing, under any number of threads. Inputs of any row count are processed
/// in chunks of <see cref="MaxBatchSize"/> rows.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// Results equal the network's own <see cref="Network{T}.PredictProbabilities"/> up to rounding (the
/// kernels sum in another order), and are bit-identical across threads and calls of the same rows and
/// row count. Changes made to the network after the predictor was created are not seen: create a new
/// predictor.
/// </remarks>
public sealed class Predictor<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly InferenceNetwork<T> _inference;

    /// <summary>Creates a predictor with its own pool, copying and packing the network's parameters.</summary>
    /// <param name="network">The trained network (read once, here).</param>
    /// <param name="maxBatchSize">Rows per forward pass (the pooled workspaces' size), ≥ 1.</param>
    /// <param name="maximumRetained">The pool's initial room for idle workspaces (0: twice the processor count). The pool grows past it rather than drop a workspace, so this is a sizing hint, not a limit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public Predictor(Network<T> network, int maxBatchSize = 256, int maximumRetained = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maximumRetained);
        Network = network;
        int retained = maximumRetained == 0 ? 2 * Environment.ProcessorCount : maximumRetained;
        _inference = new InferenceNetwork<T>(network, null, maxBatchSize, retained);
        MaxBatchSize = maxBatchSize;
    }

    /// <summary>The network the predictor was made from (its parameters as they were then are what predicts).</summary>
    public Network<T> Network { get; }

    /// <summary>Rows per forward pass.</summary>
    public int MaxBatchSize { get; }

    /// <summary>The workspace pool, for callers that rent explicitly (e.g. to pre-fill it for a known number of threads, or to call <see cref="Network{T}"/>'s workspace overloads).</summary>
    public Microsoft.Extensions.ObjectPool.ObjectPool<Workspace<T>> Pool => _inference.Pool;

    /// <summary>Class probabilities for every row of <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Rows of <see cref="NetworkShape.Inputs"/> finite features, any number, any stride.</param>
    /// <param name="probabilities">Shape (rows, <see cref="NetworkShape.Outputs"/>); each row sums to 1.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, wrong destination shape, or a destination that overlaps the inputs.</exception>
    public void PredictProbabilities(ReadOnlyMatrixSpan<T> inputs, MatrixSpan<T> probabilities)
    {
        _inference.Check(inputs, nameof(inputs));
        if (probabilities.Rows != inputs.Rows || probabilities.Columns != _inference.Shape.Outputs)
        {
            throw new ArgumentException($"Expected a {inputs.Rows}×{_inference.Shape.Outputs} destination, got {probabilities.Rows}×{probabilities.Columns}.", nameof(probabilities));
        }

        if (!inputs.IsEmpty && !probabilities.IsEmpty && inputs.Span.Overlaps(probabilities.Span))
        {
            throw new ArgumentException("The destination overlaps the inputs (which are never written).", nameof(probabilities));
        }

        Workspace<T> workspace = _inference.Pool.Get();
        try
        {
            for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
                _inference.Probabilities(inputs, start, rows, workspace, probabilities.SliceRows(start, rows), nameof(inputs));
            }
        }
        finally
        {
            _inference.Pool.Return(workspace);
        }
    }

    /// <summary>The most probable class of every row of <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Rows of <see cref="NetworkShape.Inputs"/> finite features, any number, any stride.</param>
    /// <param name="classes">One class index per row.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, or wrong destination length.</exception>
    public void PredictClasses(ReadOnlyMatrixSpan<T> inputs, Span<int> classes)
    {
        _inference.Check(inputs, nameof(inputs));
        if (classes.Length != inputs.Rows)
        {
            throw new ArgumentException($"Expected {inputs.Rows} classes (one per row), got {classes.Length}.", nameof(classes));
        }

        Workspace<T> workspace = _inference.Pool.Get();
        try
        {
            for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
                MatrixSpan<T> logits = _inference.Logits(inputs, start, rows, workspace, nameof(inputs));
                RowColumnOps.ArgMaxRows<T>(logits, classes.Slice(start, rows));
            }
        }
        finally
        {
            _inference.Pool.Return(workspace);
        }
    }

    /// <summary>Mean cross-entropy and accuracy over labelled rows.</summary>
    /// <param name="inputs">At least one row of finite features.</param>
    /// <param name="labels">The class of each row.</param>
    /// <returns>Loss, accuracy and row count.</returns>
    /// <exception cref="ArgumentException">Bad inputs or labels.</exception>
    public Evaluation Evaluate(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        _inference.Check(inputs, nameof(inputs));
        if (inputs.Rows == 0)
        {
            throw new ArgumentException("Expected at least one row.", nameof(inputs));
        }

        DataArguments.Labels(labels, inputs.Rows, _inference.Shape.Outputs, nameof(labels));
        Workspace<T> workspace = _inference.Pool.Get();
        try
        {
            double loss = 0;
            int correct = 0;
            for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
                ReadOnlySpan<int> batchLabels = labels.Slice(start, rows);
                MatrixSpan<T> logits = _inference.Logits(inputs, start, rows, workspace, nameof(inputs));
                loss += double.CreateTruncating(CrossEntropy.SoftmaxCrossEntropyLoss<T>(logits, batchLabels)) * rows;
                correct += Network<T>.CountCorrect(logits, batchLabels, workspace.Classes(rows));
            }

            return new Evaluation(loss / inputs.Rows, (double)correct / inputs.Rows, inputs.Rows);
        }
        finally
        {
            _inference.Pool.Return(workspace);
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
        NetworkShape shape = _inference.Shape;
        _inference.Check(inputs, nameof(inputs));
        DataArguments.Labels(labels, inputs.Rows, shape.Outputs, nameof(labels));
        if (metrics.ClassCount != shape.Outputs)
        {
            throw new ArgumentException($"The metrics are for {metrics.ClassCount} classes; the network has {shape.Outputs}.", nameof(metrics));
        }

        Workspace<T> workspace = _inference.Pool.Get();
        try
        {
            for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
                MatrixSpan<T> logits = _inference.Logits(inputs, start, rows, workspace, nameof(inputs));
                metrics.AddLogits<T>(logits, labels.Slice(start, rows), workspace.Classes(rows));
            }
        }
        finally
        {
            _inference.Pool.Return(workspace);
        }
    }
}
