using System.Globalization;
using System.Numerics;
using System.Text;
using Backprop.Kernels;
using Backprop.Training.Data;
using Backprop.Training.Inference;

namespace Backprop.Training.Persistence;

/// <summary>
/// What a trained classifier needs besides its weights to be used on new data: the feature scaling
/// fitted on its training set, the names of its classes (and how each is written in a label column),
/// the names of its input features, and a free-text description. <see cref="ModelFile"/> saves and
/// loads it; the element type is known only at run time, so callers pattern-match on
/// <see cref="TrainedModel{T}"/>.
/// </summary>
public abstract class TrainedModel
{
    /// <summary>The longest string (in UTF-8 bytes) a model may hold: descriptions, class and feature names.</summary>
    public const int MaxStringBytes = ushort.MaxValue;

    private readonly string[] _classLabels;
    private readonly string[] _classNames;
    private readonly string[] _featureNames;

    private protected TrainedModel(NetworkShape shape, FeatureScaling? scaling, IReadOnlyList<string>? classLabels, IReadOnlyList<string>? classNames, IReadOnlyList<string>? featureNames, string? description)
    {
        Shape = shape;
        if (scaling is not null && scaling.FeatureCount != shape.Inputs)
        {
            throw new ArgumentException($"The scaling is for {scaling.FeatureCount} features; the network takes {shape.Inputs}.", nameof(scaling));
        }

        _classLabels = classLabels is null
            ? [.. Enumerable.Range(0, shape.Outputs).Select(i => i.ToString(CultureInfo.InvariantCulture))]
            : [.. classLabels];
        if (_classLabels.Length != shape.Outputs)
        {
            throw new ArgumentException($"Expected {shape.Outputs} class labels (one per output), got {_classLabels.Length}.", nameof(classLabels));
        }

        if (_classLabels.Distinct(StringComparer.Ordinal).Count() != _classLabels.Length)
        {
            throw new ArgumentException("The class labels must be distinct.", nameof(classLabels));
        }

        _classNames = classNames is null ? _classLabels : [.. classNames];
        if (_classNames.Length != shape.Outputs)
        {
            throw new ArgumentException($"Expected {shape.Outputs} class names (one per output), got {_classNames.Length}.", nameof(classNames));
        }

        _featureNames = featureNames is null ? [] : [.. featureNames];
        if (_featureNames.Length != 0 && _featureNames.Length != shape.Inputs)
        {
            throw new ArgumentException($"Expected no feature names or {shape.Inputs} (one per input), got {_featureNames.Length}.", nameof(featureNames));
        }

        Description = description ?? string.Empty;
        foreach (string text in _classLabels.Concat(_classNames).Concat(_featureNames).Append(Description))
        {
            ArgumentNullException.ThrowIfNull(text);
            if (Encoding.UTF8.GetByteCount(text) > MaxStringBytes)
            {
                throw new ArgumentException($"A name or description is longer than {MaxStringBytes} UTF-8 bytes.", nameof(description));
            }
        }

        if (scaling is { Kind: ScalingKind.None })
        {
            if (scaling.Offsets.IndexOfAnyExcept(0.0) >= 0 || scaling.Scales.IndexOfAnyExcept(1.0) >= 0)
            {
                throw new ArgumentException("A scaling of kind None must be the identity; use Standardize or MinMax for other values.", nameof(scaling));
            }

            scaling = null;
        }

        Scaling = scaling;
    }

    /// <summary>The architecture.</summary>
    public NetworkShape Shape { get; }

    /// <summary><see cref="float"/> or <see cref="double"/>.</summary>
    public abstract Type ElementType { get; }

    /// <summary>The scaling applied to raw features before the network sees them, or null for none (an identity scaling of kind <see cref="ScalingKind.None"/> is stored as null).</summary>
    public FeatureScaling? Scaling { get; }

    /// <summary>How each class is written in a label column, in output order (default "0", "1", …).</summary>
    public IReadOnlyList<string> ClassLabels => _classLabels;

    /// <summary>Display names of the classes, in output order (default: the labels).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The names of the input features in order, or empty when unknown.</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>Free text, e.g. the data set the model was trained on; empty when none.</summary>
    public string Description { get; }
}

/// <summary>
/// A network of element type <typeparamref name="T"/> with the metadata of <see cref="TrainedModel"/>,
/// and the object an application predicts with: raw feature rows in (the model's own scaling is
/// applied), classes, names and probabilities out.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>
/// Prediction: <see cref="Predict(ReadOnlySpan{T})"/> for one row, <see cref="PredictProbabilities"/>
/// and <see cref="PredictClasses"/> for any number. The first prediction prepares a read-only copy of
/// the network with the feature scaling folded into its first layer (see <see cref="TrainedModel.Scaling"/>);
/// every later call uses it, so changes made to <see cref="Network"/> after the first prediction are
/// not seen (wrap the changed network in a new model). The caller's rows are never written. A bad row
/// (a NaN or ±∞ feature, or one the scaling takes beyond the range of <typeparamref name="T"/>) throws
/// an exception naming its row and feature; when the model subtracts offsets per call that check runs
/// in the same pass as the prediction, so the destination rows of the call's earlier 128-row chunks
/// may have been written by then.
/// </para>
/// <para>
/// Thread safety: any number of threads may predict with one model at once. Each call rents a
/// workspace from a pool that never drops one, so after each thread's first calls (once the pool holds
/// as many workspaces as the most threads that predicted at the same time) predictions allocate 0 bytes.
/// </para>
/// <para>
/// Results equal scaling the rows with <see cref="ScaleInputs(MatrixSpan{T})"/> then predicting with
/// <see cref="Network"/> up to rounding: the folded first layer's error is bounded in terms of the
/// scaled features (offsets that are large next to a feature's spread are subtracted per call rather
/// than folded), so it does not grow with the raw values' magnitude.
/// </para>
/// </remarks>
public sealed class TrainedModel<T> : TrainedModel
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private InferenceNetwork<T>? _inference;

    /// <summary>Wraps a network (not copied) with its metadata.</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="scaling">Its input scaling, or null.</param>
    /// <param name="classLabels">How each class is written in a label column; null for "0", "1", ….</param>
    /// <param name="classNames">Display names; null to use the labels.</param>
    /// <param name="featureNames">Input names (one per input), or null.</param>
    /// <param name="description">Free text, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentException">A count does not match the network, duplicate class labels, or a string longer than <see cref="TrainedModel.MaxStringBytes"/>.</exception>
    public TrainedModel(Network<T> network, FeatureScaling? scaling = null, IReadOnlyList<string>? classLabels = null, IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null, string? description = null)
        : base((network ?? throw new ArgumentNullException(nameof(network))).Shape, scaling, classLabels, classNames, featureNames, description)
    {
        Network = network;
    }

    /// <summary>The network.</summary>
    public Network<T> Network { get; }

    /// <inheritdoc/>
    public override Type ElementType => typeof(T);

    /// <summary>The prepared copy, made on first use (two threads racing may both build one; one is kept).</summary>
    internal InferenceNetwork<T> Inference
    {
        get
        {
            InferenceNetwork<T>? inference = Volatile.Read(ref _inference);
            if (inference is not null)
            {
                return inference;
            }

            var created = new InferenceNetwork<T>(Network, Scaling);
            return Interlocked.CompareExchange(ref _inference, created, null) ?? created;
        }
    }

    /// <summary>The most probable class of one raw row, its name and probability.</summary>
    /// <param name="rawRow"><see cref="NetworkShape.Inputs"/> finite features, unscaled (the model's scaling is applied); not modified.</param>
    /// <returns>The class index, its name and its probability.</returns>
    /// <exception cref="ArgumentException">Wrong feature count, or a NaN/∞ feature (or one the scaling takes beyond the range of <typeparamref name="T"/>).</exception>
    public Prediction Predict(ReadOnlySpan<T> rawRow) => PredictOne(rawRow, default, false);

    /// <summary>The most probable class of one raw row, its name and probability, and every class's probability.</summary>
    /// <param name="rawRow"><see cref="NetworkShape.Inputs"/> finite features, unscaled; not modified.</param>
    /// <param name="probabilities">Receives one probability per class (<see cref="NetworkShape.Outputs"/>); they sum to 1.</param>
    /// <returns>The class index, its name and its probability (the same value as in <paramref name="probabilities"/>).</returns>
    /// <exception cref="ArgumentException">Wrong feature count or destination length, or a NaN/∞ feature.</exception>
    public Prediction Predict(ReadOnlySpan<T> rawRow, Span<T> probabilities)
    {
        if (probabilities.Length != Shape.Outputs)
        {
            throw new ArgumentException($"Expected room for {Shape.Outputs} probabilities (one per class), got {probabilities.Length}.", nameof(probabilities));
        }

        return PredictOne(rawRow, probabilities, true);
    }

    /// <summary>Class probabilities of every raw row.</summary>
    /// <param name="rawRows">Rows of <see cref="NetworkShape.Inputs"/> finite, unscaled features, any number, any stride; not modified.</param>
    /// <param name="probabilities">Shape (rows, <see cref="NetworkShape.Outputs"/>), any stride; each row sums to 1.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ feature, wrong destination shape, or a destination that overlaps the rows.</exception>
    public void PredictProbabilities(ReadOnlyMatrixSpan<T> rawRows, MatrixSpan<T> probabilities)
    {
        InferenceNetwork<T> inference = Inference;
        inference.Check(rawRows, nameof(rawRows));
        if (probabilities.Rows != rawRows.Rows || probabilities.Columns != Shape.Outputs)
        {
            throw new ArgumentException($"Expected a {rawRows.Rows}×{Shape.Outputs} destination, got {probabilities.Rows}×{probabilities.Columns}.", nameof(probabilities));
        }

        if (!rawRows.IsEmpty && !probabilities.IsEmpty && rawRows.Span.Overlaps(probabilities.Span))
        {
            throw new ArgumentException("The destination overlaps the rows (which are never written).", nameof(probabilities));
        }

        Workspace<T> workspace = inference.Pool.Get();
        try
        {
            for (int start = 0; start < rawRows.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, rawRows.Rows - start);
                inference.Probabilities(rawRows, start, rows, workspace, probabilities.SliceRows(start, rows), nameof(rawRows));
            }
        }
        finally
        {
            inference.Pool.Return(workspace);
        }
    }

    /// <summary>The most probable class (the first on ties) of every raw row; <see cref="TrainedModel.ClassNames"/> names them.</summary>
    /// <param name="rawRows">Rows of <see cref="NetworkShape.Inputs"/> finite, unscaled features, any number, any stride; not modified.</param>
    /// <param name="classes">One class index per row.</param>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ feature, or wrong destination length.</exception>
    public void PredictClasses(ReadOnlyMatrixSpan<T> rawRows, Span<int> classes)
    {
        InferenceNetwork<T> inference = Inference;
        inference.Check(rawRows, nameof(rawRows));
        if (classes.Length != rawRows.Rows)
        {
            throw new ArgumentException($"Expected {rawRows.Rows} classes (one per row), got {classes.Length}.", nameof(classes));
        }

        Workspace<T> workspace = inference.Pool.Get();
        try
        {
            for (int start = 0; start < rawRows.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, rawRows.Rows - start);
                MatrixSpan<T> logits = inference.Logits(rawRows, start, rows, workspace, nameof(rawRows));
                RowColumnOps.ArgMaxRows<T>(logits, classes.Slice(start, rows));
            }
        }
        finally
        {
            inference.Pool.Return(workspace);
        }
    }

    /// <summary>Adds labelled raw rows to <paramref name="metrics"/>: confusion matrix, per-class counts and the exact log-loss (from the logits). Allocates nothing.</summary>
    /// <param name="rawRows">Rows of <see cref="NetworkShape.Inputs"/> finite, unscaled features, any number, any stride; not modified.</param>
    /// <param name="labels">The class of each row.</param>
    /// <param name="metrics">Metrics for <see cref="NetworkShape.Outputs"/> classes; rows are added to what it holds.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ feature, labels of the wrong length, or metrics for another number of classes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label outside [0, outputs).</exception>
    public void Evaluate(ReadOnlyMatrixSpan<T> rawRows, ReadOnlySpan<int> labels, ClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        InferenceNetwork<T> inference = Inference;
        inference.Check(rawRows, nameof(rawRows));
        DataArguments.Labels(labels, rawRows.Rows, Shape.Outputs, nameof(labels));
        if (metrics.ClassCount != Shape.Outputs)
        {
            throw new ArgumentException($"The metrics are for {metrics.ClassCount} classes; the model has {Shape.Outputs}.", nameof(metrics));
        }

        Workspace<T> workspace = inference.Pool.Get();
        try
        {
            for (int start = 0; start < rawRows.Rows; start += workspace.MaxBatchSize)
            {
                int rows = Math.Min(workspace.MaxBatchSize, rawRows.Rows - start);
                MatrixSpan<T> logits = inference.Logits(rawRows, start, rows, workspace, nameof(rawRows));
                metrics.AddLogits<T>(logits, labels.Slice(start, rows), workspace.Classes(rows));
            }
        }
        finally
        {
            inference.Pool.Return(workspace);
        }
    }

    /// <summary>Applies <see cref="TrainedModel.Scaling"/> (if any) to raw features in place.</summary>
    /// <param name="features">Rows of <see cref="NetworkShape.Inputs"/> raw features.</param>
    /// <exception cref="DataFormatException">A value would scale beyond the range of <typeparamref name="T"/> (the message names the row and feature).</exception>
    public void ScaleInputs(MatrixSpan<T> features) => Scaling?.Apply(features);

    /// <summary>Applies <see cref="TrainedModel.Scaling"/> (if any) to raw features in place, naming the file, line and column of a value that cannot be scaled.</summary>
    /// <param name="features">Rows of <see cref="NetworkShape.Inputs"/> raw features.</param>
    /// <param name="sourceName">The file the rows came from.</param>
    /// <param name="rowLines">The 1-based line of each row (e.g. <see cref="CsvFeatureReader{T}.BatchLines"/>), or empty.</param>
    /// <exception cref="DataFormatException">A value would scale beyond the range of <typeparamref name="T"/>.</exception>
    public void ScaleInputs(MatrixSpan<T> features, string? sourceName, ReadOnlySpan<long> rowLines) => Scaling?.Apply(features, sourceName, rowLines, FeatureNames.Count == 0 ? null : FeatureNames);

    private Prediction PredictOne(ReadOnlySpan<T> rawRow, Span<T> probabilities, bool writeProbabilities)
    {
        InferenceNetwork<T> inference = Inference;
        var row = new ReadOnlyMatrixSpan<T>(rawRow, 1, rawRow.Length);
        inference.Check(row, nameof(rawRow));
        Workspace<T> workspace = inference.Pool.Get();
        try
        {
            MatrixSpan<T> logits = inference.Logits(row, 0, 1, workspace, nameof(rawRow));
            ReadOnlySpan<T> z = logits.Row(0);
            int best = 0;
            for (int k = 1; k < z.Length; k++)
            {
                if (z[k] > z[best])
                {
                    best = k;
                }
            }

            double probability;
            if (writeProbabilities)
            {
                Softmax.Forward<T>(logits, new MatrixSpan<T>(probabilities, 1, probabilities.Length));
                probability = double.CreateTruncating(probabilities[best]);
            }
            else
            {
                double max = double.CreateTruncating(z[best]);
                double sum = 0;
                for (int k = 0; k < z.Length; k++)
                {
                    sum += Math.Exp(double.CreateTruncating(z[k]) - max);
                }

                probability = 1 / sum;
            }

            return new Prediction(best, ClassNames[best], probability);
        }
        finally
        {
            inference.Pool.Return(workspace);
        }
    }
}
