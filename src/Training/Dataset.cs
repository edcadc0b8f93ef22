using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Labelled examples for training or evaluation: a row-major feature matrix (one row per example)
/// and a class index per row, checked once here (shape, finite features, labels in range) so the
/// training loop need not check them again. Also owns the permutation buffer the trainer shuffles
/// in place, so an epoch allocates nothing.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// The data are not copied: the caller must not change them while the data set is in use. The
/// permutation makes a data set usable by one trainer at a time (evaluation alone may be concurrent).
/// </remarks>
public sealed class Dataset<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ReadOnlyMemory<T> _features;
    private readonly ReadOnlyMemory<int> _labels;
    private readonly int[] _order;

    /// <summary>Wraps (does not copy) features and labels after checking them.</summary>
    /// <param name="features">Row-major, <c>labels.Length × featureCount</c> finite values.</param>
    /// <param name="labels">The class of each row, in [0, <paramref name="classCount"/>); at least one row.</param>
    /// <param name="featureCount">Features per row, ≥ 1.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <exception cref="ArgumentException">No rows, a length mismatch, or a NaN/∞ feature (the message gives row and column).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is too small or a label is out of range.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public Dataset(ReadOnlyMemory<T> features, ReadOnlyMemory<int> labels, int featureCount, int classCount)
    {
        ElementType.RequireSupported<T>();
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (labels.Length == 0)
        {
            throw new ArgumentException("A data set needs at least one row.", nameof(labels));
        }

        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException($"Expected {labels.Length} rows × {featureCount} features = {(long)labels.Length * featureCount} values, got {features.Length}.", nameof(features));
        }

        DataArguments.Features(new ReadOnlyMatrixSpan<T>(features.Span, labels.Length, featureCount), featureCount, nameof(features));
        DataArguments.Labels(labels.Span, labels.Length, classCount, nameof(labels));
        _features = features;
        _labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
        _order = new int[labels.Length];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }
    }

    /// <summary>Number of rows (examples).</summary>
    public int Count => _labels.Length;

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The features, <see cref="Count"/> × <see cref="FeatureCount"/>.</summary>
    public ReadOnlyMatrixSpan<T> Features => new(_features.Span, Count, FeatureCount);

    /// <summary>The class of each row.</summary>
    public ReadOnlySpan<int> Labels => _labels.Span;

    /// <summary>The visiting order of the current epoch (a permutation of the row indices), shuffled in place by the trainer.</summary>
    internal Span<int> Order => _order;
}
