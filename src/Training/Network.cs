using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// A multilayer perceptron's parameters and gradients: every weight and bias in one contiguous
/// buffer (<see cref="Parameters"/>), carved into per-layer views, and a mirrored
/// <see cref="Gradients"/> buffer with the same layout, so the optimiser makes one pass over each.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>
/// Layer <c>l</c>'s block in either buffer starts at <see cref="NetworkShape.ParameterOffset"/> and
/// holds the bias (fan_out) then the weights (fan_in × fan_out, row-major): the augmented matrix
/// <c>[b; W]</c> of the textbook, bias first. <see cref="Layer"/> gives the named views.
/// </para>
/// <para>
/// Thread safety: prediction only reads <see cref="Parameters"/>, so any number of threads may
/// predict at once, each with its own <see cref="Workspace{T}"/> (<see cref="Predictor{T}"/> pools
/// them). Training writes both buffers and must not overlap prediction or another training run.
/// </para>
/// </remarks>
public sealed class Network<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;

    /// <summary>Creates a network with every weight and bias zero, to be set explicitly (e.g. with <see cref="ImportAugmented"/>).</summary>
    /// <param name="shape">The architecture.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public Network(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ElementType.RequireSupported<T>();
        Shape = shape;
        _parameters = new T[shape.ParameterCount];
        _gradients = new T[shape.ParameterCount];
    }

    /// <summary>Creates a network initialised with <see cref="InitializeGlorotUniform"/> from <paramref name="seed"/>.</summary>
    /// <param name="shape">The architecture.</param>
    /// <param name="seed">The initialisation seed; the same seed gives bit-identical parameters.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public Network(NetworkShape shape, ulong seed)
        : this(shape)
    {
        InitializeGlorotUniform(seed);
    }

    /// <summary>The architecture.</summary>
    public NetworkShape Shape { get; }

    /// <summary>Every weight and bias, layer by layer (bias then weights). Writable.</summary>
    public Span<T> Parameters => _parameters;

    /// <summary>The gradient of the last batch's mean loss for each parameter, same layout as <see cref="Parameters"/>.</summary>
    public Span<T> Gradients => _gradients;

    /// <summary>Named views of weight layer <paramref name="layer"/> in <see cref="Parameters"/>.</summary>
    /// <param name="layer">0-based weight layer, in [0, <see cref="NetworkShape.LayerCount"/>).</param>
    /// <returns>The bias, weights and augmented views of that layer.</returns>
    public LayerView<T> Layer(int layer) => View(_parameters, layer);

    /// <summary>Named views of weight layer <paramref name="layer"/> in <see cref="Gradients"/>.</summary>
    /// <param name="layer">0-based weight layer, in [0, <see cref="NetworkShape.LayerCount"/>).</param>
    /// <returns>The bias-gradient, weight-gradient and augmented views of that layer.</returns>
    public LayerView<T> GradientLayer(int layer) => View(_gradients, layer);

    /// <summary>Copies layer <paramref name="layer"/> out as the (fan_in + 1) × fan_out augmented matrix whose first row is the bias.</summary>
    /// <param name="layer">0-based weight layer.</param>
    /// <param name="destination">The matrix to fill, any stride.</param>
    public void ExportAugmented(int layer, MatrixSpan<T> destination) => Layer(layer).ExportAugmented(destination);

    /// <summary>Sets layer <paramref name="layer"/> from the (fan_in + 1) × fan_out augmented matrix whose first row is the bias.</summary>
    /// <param name="layer">0-based weight layer.</param>
    /// <param name="source">The augmented matrix, any stride.</param>
    public void ImportAugmented(int layer, ReadOnlyMatrixSpan<T> source) => Layer(layer).ImportAugmented(source);

    /// <summary>
    /// Glorot (Xavier) uniform: each weight uniform in <c>±√(6 / (fan_in + fan_out))</c>, biases 0.
    /// Draws are made in double from a fixed generator (xoshiro256**), layer by layer in row-major
    /// order, so a seed gives the same values on every machine, and float networks get the rounded
    /// double values.
    /// </summary>
    /// <param name="seed">The seed.</param>
    public void InitializeGlorotUniform(ulong seed) => InitializeUniform(seed, he: false);

    /// <summary>He (Kaiming) uniform, suited to ReLU: each weight uniform in <c>±√(6 / fan_in)</c>, biases 0. Deterministic like <see cref="InitializeGlorotUniform"/>.</summary>
    /// <param name="seed">The seed.</param>
    public void InitializeHeUniform(ulong seed) => InitializeUniform(seed, he: true);

    /// <summary>Class probabilities (softmax of the outputs) for every row of <paramref name="inputs"/>, in chunks of the workspace's batch size.</summary>
    /// <param name="inputs">One row of <see cref="NetworkShape.Inputs"/> finite features per example, any number of rows.</param>
    /// <param name="probabilities">Shape (rows, <see cref="NetworkShape.Outputs"/>), any stride.</param>
    /// <param name="workspace">A workspace for this shape, used by this call only.</param>
    /// <exception cref="ArgumentException">Wrong feature count, non-finite input, wrong destination shape, or a workspace of another shape.</exception>
    public void PredictProbabilities(ReadOnlyMatrixSpan<T> inputs, MatrixSpan<T> probabilities, Workspace<T> workspace)
    {
        CheckWorkspace(workspace);
        DataArguments.Features(inputs, Shape.Inputs, nameof(inputs));
        if (probabilities.Rows != inputs.Rows || probabilities.Columns != Shape.Outputs)
        {
            throw new ArgumentException($"Expected a {inputs.Rows}×{Shape.Outputs} destination, got {probabilities.Rows}×{probabilities.Columns}.", nameof(probabilities));
        }

        for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
        {
            int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
            MatrixSpan<T> logits = Backpropagation.Forward(this, workspace, inputs.SliceRows(start, rows));
            Backpropagation.OutputForward(logits, probabilities.SliceRows(start, rows));
        }
    }

    /// <summary>The most probable class of every row of <paramref name="inputs"/> (the first on ties).</summary>
    /// <param name="inputs">One row of <see cref="NetworkShape.Inputs"/> finite features per example, any number of rows.</param>
    /// <param name="classes">One class index per row.</param>
    /// <param name="workspace">A workspace for this shape, used by this call only.</param>
    /// <exception cref="ArgumentException">Wrong feature count, non-finite input, wrong destination length, or a workspace of another shape.</exception>
    public void PredictClasses(ReadOnlyMatrixSpan<T> inputs, Span<int> classes, Workspace<T> workspace)
    {
        CheckWorkspace(workspace);
        DataArguments.Features(inputs, Shape.Inputs, nameof(inputs));
        if (classes.Length != inputs.Rows)
        {
            throw new ArgumentException($"Expected {inputs.Rows} classes (one per row), got {classes.Length}.", nameof(classes));
        }

        for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
        {
            int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
            MatrixSpan<T> logits = Backpropagation.Forward(this, workspace, inputs.SliceRows(start, rows));
            RowColumnOps.ArgMaxRows<T>(logits, classes.Slice(start, rows));
        }
    }

    /// <summary>Mean cross-entropy and accuracy over labelled rows.</summary>
    /// <param name="inputs">One row of <see cref="NetworkShape.Inputs"/> finite features per example, at least one row.</param>
    /// <param name="labels">The class of each row, in [0, <see cref="NetworkShape.Outputs"/>).</param>
    /// <param name="workspace">A workspace for this shape, used by this call only.</param>
    /// <returns>The loss and the fraction of rows whose most probable class is the label.</returns>
    /// <exception cref="ArgumentException">Bad inputs or labels, or a workspace of another shape.</exception>
    public Evaluation Evaluate(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels, Workspace<T> workspace)
    {
        CheckWorkspace(workspace);
        DataArguments.Features(inputs, Shape.Inputs, nameof(inputs));
        if (inputs.Rows == 0)
        {
            throw new ArgumentException("Expected at least one row.", nameof(inputs));
        }

        DataArguments.Labels(labels, inputs.Rows, Shape.Outputs, nameof(labels));

        return EvaluateTrusted(inputs, labels, workspace);
    }

    /// <summary><see cref="Evaluate"/> without the argument checks (callers checked, e.g. a <see cref="Dataset{T}"/>).</summary>
    internal Evaluation EvaluateTrusted(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels, Workspace<T> workspace, KernelThreads? threads = null)
    {
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < inputs.Rows; start += workspace.MaxBatchSize)
        {
            int rows = Math.Min(workspace.MaxBatchSize, inputs.Rows - start);
            ReadOnlySpan<int> batchLabels = labels.Slice(start, rows);
            MatrixSpan<T> logits = Backpropagation.Forward(this, workspace, inputs.SliceRows(start, rows), threads);
            loss += double.CreateTruncating(CrossEntropy.SoftmaxCrossEntropyLoss<T>(logits, batchLabels)) * rows;
            correct += CountCorrect(logits, batchLabels, workspace.Classes(rows));
        }

        return new Evaluation(loss / inputs.Rows, (double)correct / inputs.Rows, inputs.Rows);
    }

    /// <summary>Number of rows whose arg-max is the label.</summary>
    internal static int CountCorrect(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> labels, Span<int> scratch)
    {
        RowColumnOps.ArgMaxRows(logits, scratch);
        int correct = 0;
        for (int i = 0; i < scratch.Length; i++)
        {
            correct += scratch[i] == labels[i] ? 1 : 0;
        }

        return correct;
    }

    private void CheckWorkspace(Workspace<T> workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!workspace.Shape.Equals(Shape))
        {
            throw new ArgumentException($"The workspace was made for {workspace.Shape}, not {Shape}.", nameof(workspace));
        }
    }

    private LayerView<T> View(T[] buffer, int layer)
    {
        int fanIn = Shape.FanIn(layer);
        int fanOut = Shape.FanOut(layer);
        return new LayerView<T>(buffer.AsSpan(Shape.ParameterOffset(layer), (fanIn + 1) * fanOut), fanIn, fanOut);
    }

    private void InitializeUniform(ulong seed, bool he)
    {
        var rng = new Rng(seed);
        for (int l = 0; l < Shape.LayerCount; l++)
        {
            LayerView<T> layer = Layer(l);
            double limit = Math.Sqrt(6.0 / (he ? layer.FanIn : layer.FanIn + layer.FanOut));
            layer.Bias.Clear();
            Span<T> weights = layer.Weights.Span;
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = T.CreateTruncating(((2 * rng.NextDouble()) - 1) * limit);
            }
        }
    }
}
