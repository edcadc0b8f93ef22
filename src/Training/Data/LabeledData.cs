using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training.Data;

/// <summary>
/// Labelled examples as loaded from a file: a row-major feature matrix, a class index per row, and
/// the names that give them meaning (feature names, the class labels as written in the source, and
/// display names of the classes). <see cref="ToDataset"/> hands them to a <see cref="Trainer{T}"/>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>The feature values are writable so that <see cref="Scale"/> can scale them in place; slices made by <see cref="Take"/> share them.</remarks>
public sealed class LabeledData<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Memory<T> _features;
    private readonly Memory<int> _labels;
    private readonly string[] _featureNames;
    private readonly string[] _classLabels;
    private readonly string[] _classNames;

    /// <summary>Wraps (does not copy) features and labels.</summary>
    /// <param name="features">Row-major, <c>labels.Length × featureNames.Count</c> values.</param>
    /// <param name="labels">The class of each row, in [0, <c>classLabels.Count</c>).</param>
    /// <param name="featureNames">One name per feature (at least one).</param>
    /// <param name="classLabels">How each class is written in the source's label column (at least two, distinct).</param>
    /// <param name="classNames">Display names of the classes, aligned with <paramref name="classLabels"/>; null to use the labels.</param>
    /// <param name="sourceName">Where the data came from, for messages.</param>
    /// <param name="lines">The 1-based line of each row in the source (a text file), or empty when rows have no lines.</param>
    /// <exception cref="ArgumentException">Lengths disagree, fewer than two classes, duplicate class labels, or a label out of range.</exception>
    public LabeledData(Memory<T> features, Memory<int> labels, IReadOnlyList<string> featureNames, IReadOnlyList<string> classLabels, IReadOnlyList<string>? classNames = null, string? sourceName = null, ReadOnlyMemory<long> lines = default)
    {
        if (!lines.IsEmpty && lines.Length != labels.Length)
        {
            throw new ArgumentException($"Expected one line number per row ({labels.Length}), got {lines.Length}.", nameof(lines));
        }

        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(classLabels);
        ElementType.RequireSupported<T>();
        if (featureNames.Count < 1)
        {
            throw new ArgumentException("Expected at least one feature.", nameof(featureNames));
        }

        if ((long)labels.Length * featureNames.Count != features.Length)
        {
            throw new ArgumentException($"Expected {labels.Length} rows × {featureNames.Count} features = {(long)labels.Length * featureNames.Count} values, got {features.Length}.", nameof(features));
        }

        if (classLabels.Count < 2)
        {
            throw new ArgumentException($"A classifier needs at least two classes; got {classLabels.Count}.", nameof(classLabels));
        }

        if (classLabels.Distinct(StringComparer.Ordinal).Count() != classLabels.Count)
        {
            throw new ArgumentException("The class labels must be distinct.", nameof(classLabels));
        }

        if (classNames is not null && classNames.Count != classLabels.Count)
        {
            throw new ArgumentException($"Expected {classLabels.Count} class names, got {classNames.Count}.", nameof(classNames));
        }

        ReadOnlySpan<int> y = labels.Span;
        for (int i = 0; i < y.Length; i++)
        {
            if ((uint)y[i] >= (uint)classLabels.Count)
            {
                throw new ArgumentException($"Label {y[i]} of row {i} is outside [0, {classLabels.Count}).", nameof(labels));
            }
        }

        _features = features;
        _labels = labels;
        _featureNames = [.. featureNames];
        _classLabels = [.. classLabels];
        _classNames = classNames is null ? _classLabels : [.. classNames];
        SourceName = sourceName ?? "data";
        Lines = lines;
    }

    /// <summary>Number of rows (examples).</summary>
    public int Count => _labels.Length;

    /// <summary>Features per row.</summary>
    public int FeatureCount => _featureNames.Length;

    /// <summary>Number of classes.</summary>
    public int ClassCount => _classLabels.Length;

    /// <summary>The features, row-major, <see cref="Count"/> × <see cref="FeatureCount"/>; writable.</summary>
    public Memory<T> Features => _features;

    /// <summary>The features as a matrix view.</summary>
    public MatrixSpan<T> FeatureMatrix => new(_features.Span, Count, FeatureCount);

    /// <summary>The class index of each row.</summary>
    public ReadOnlyMemory<int> Labels => _labels;

    /// <summary>The feature (column) names.</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>How each class is written in the source's label column (e.g. <c>"1"</c>).</summary>
    public IReadOnlyList<string> ClassLabels => _classLabels;

    /// <summary>Display names of the classes (e.g. <c>"stairs"</c>); the labels themselves when the source gives no names.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Where the data came from, for messages.</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line of each row in <see cref="SourceName"/> (a CSV file), or empty when unknown (binary files).</summary>
    public ReadOnlyMemory<long> Lines { get; }

    /// <summary>Applies <paramref name="scaling"/> to the features in place; a value that would scale beyond the element type's range is an error naming the file, line (or row) and column.</summary>
    /// <param name="scaling">The scaling, fitted on this or other data of the same features.</param>
    /// <exception cref="ArgumentException">The scaling is for another number of features.</exception>
    /// <exception cref="DataFormatException">A value would scale beyond the range of <typeparamref name="T"/>.</exception>
    public void Scale(FeatureScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        scaling.Apply(FeatureMatrix, SourceName, Lines.Span, _featureNames);
    }

    /// <summary>A checked <see cref="Dataset{T}"/> over the same memory (no copy).</summary>
    /// <returns>The data set.</returns>
    /// <exception cref="ArgumentException">No rows, or a NaN/∞ feature.</exception>
    public Dataset<T> ToDataset() => new(_features, _labels, FeatureCount, ClassCount);

    /// <summary>The first <paramref name="rows"/> rows (or all, if fewer), sharing this instance's memory.</summary>
    /// <param name="rows">How many rows to keep, ≥ 1.</param>
    /// <returns>The slice.</returns>
    public LabeledData<T> Take(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        int n = Math.Min(rows, Count);
        return new LabeledData<T>(_features[..(n * FeatureCount)], _labels[..n], _featureNames, _classLabels, _classNames, SourceName, Lines.IsEmpty ? default : Lines[..n]);
    }

    /// <summary>
    /// Splits the rows at random (a seeded shuffle, the same on every machine) into a training part and
    /// a validation part of <c>round(fraction × Count)</c> rows; both are copies, in the original order.
    /// </summary>
    /// <param name="validationFraction">In (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <returns>The two parts.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside (0, 1), or leaves a part empty.</exception>
    public (LabeledData<T> Training, LabeledData<T> Validation) Split(double validationFraction, ulong seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Expected a fraction in (0, 1).");
        }

        int validation = (int)Math.Round(validationFraction * Count);
        if (validation < 1 || validation >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"A validation fraction of {validationFraction} of {Count} rows leaves one part empty.");
        }

        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Rng(seed).ShuffleIdentity(order);
        bool[] held = new bool[Count];
        for (int i = 0; i < validation; i++)
        {
            held[order[i]] = true;
        }

        return (Gather(held, false, Count - validation), Gather(held, true, validation));
    }

    /// <summary>How many rows each class has.</summary>
    /// <returns>One count per class.</returns>
    public int[] ClassCounts()
    {
        int[] counts = new int[ClassCount];
        foreach (int label in _labels.Span)
        {
            counts[label]++;
        }

        return counts;
    }

    private LabeledData<T> Gather(bool[] held, bool which, int rows)
    {
        var x = new T[rows * FeatureCount];
        int[] y = new int[rows];
        long[] lines = Lines.IsEmpty ? [] : new long[rows];
        ReadOnlySpan<long> sourceLines = Lines.Span;
        ReadOnlySpan<T> features = _features.Span;
        ReadOnlySpan<int> labels = _labels.Span;
        int w = 0;
        for (int r = 0; r < Count; r++)
        {
            if (held[r] == which)
            {
                features.Slice(r * FeatureCount, FeatureCount).CopyTo(x.AsSpan(w * FeatureCount));
                if (lines.Length > 0)
                {
                    lines[w] = sourceLines[r];
                }

                y[w++] = labels[r];
            }
        }

        return new LabeledData<T>(x, y, _featureNames, _classLabels, _classNames, SourceName, lines);
    }
}
