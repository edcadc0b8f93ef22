using System.Globalization;
using System.Numerics;
using System.Text;
using Backprop.Kernels;
using Backprop.Training.Data;

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

/// <summary>A network of element type <typeparamref name="T"/> with the metadata of <see cref="TrainedModel"/>.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class TrainedModel<T> : TrainedModel
    where T : unmanaged, IFloatingPointIeee754<T>
{
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
}
