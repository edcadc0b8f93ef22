using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Classification metrics accumulated over any number of batches, with no allocation after
/// construction: the confusion matrix, accuracy, per-class precision, recall and F1 (and their macro
/// averages), and the log-loss (mean cross-entropy). Fill it with
/// <see cref="Persistence.TrainedModel{T}.Evaluate"/> (raw rows), <see cref="Predictor{T}.Evaluate(ReadOnlyMatrixSpan{T}, ReadOnlySpan{int}, ClassificationMetrics)"/>
/// (scaled rows), or the <c>Add</c> methods (your own predictions); <see cref="Reset"/> to reuse it.
/// Not thread-safe: one object per evaluating thread.
/// </summary>
/// <remarks>
/// Conventions: a ratio whose denominator is 0 is NaN — precision of a class never predicted, recall
/// of a class absent from the labels, F1 of a class neither present nor predicted — and the macro
/// averages are over the classes present in the labels, counting an undefined precision as 0
/// (scikit-learn's default <c>zero_division=0</c>). The log-loss is exact (log-softmax of the logits) when the metrics
/// come from a model; from probabilities (<see cref="Add{T}(ReadOnlySpan{int}, ReadOnlyMatrixSpan{T})"/>)
/// a probability below <see cref="ProbabilityFloor"/> counts as that floor, as scikit-learn's log_loss does.
/// </remarks>
public sealed class ClassificationMetrics
{
    /// <summary>Up to this many classes the full confusion matrix is kept (8 MB of counts at the limit); above it, only the per-class totals.</summary>
    public const int MaxConfusionClasses = 1024;

    /// <summary>The smallest probability <see cref="Add{T}(ReadOnlySpan{int}, ReadOnlyMatrixSpan{T})"/> takes the logarithm of.</summary>
    public const double ProbabilityFloor = 1e-15;

    private readonly long[]? _confusion;
    private readonly long[] _actual;
    private readonly long[] _predicted;
    private readonly long[] _correct;
    private long _count;
    private long _lossCount;
    private double _lossSum;

    /// <summary>Creates empty metrics for <paramref name="classCount"/> classes.</summary>
    /// <param name="classCount">Number of classes, ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is below 1.</exception>
    public ClassificationMetrics(int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ClassCount = classCount;
        _actual = new long[classCount];
        _predicted = new long[classCount];
        _correct = new long[classCount];
        _confusion = classCount <= MaxConfusionClasses ? new long[classCount * classCount] : null;
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Rows counted.</summary>
    public long Count => _count;

    /// <summary>Rows whose predicted class is the label.</summary>
    public long Correct
    {
        get
        {
            long sum = 0;
            foreach (long c in _correct)
            {
                sum += c;
            }

            return sum;
        }
    }

    /// <summary>Fraction of rows predicted right, in [0, 1]; NaN before any row.</summary>
    public double Accuracy => _count == 0 ? double.NaN : (double)Correct / _count;

    /// <summary>Mean cross-entropy <c>−ln p(label)</c> over the rows added with probabilities or logits; NaN when none were.</summary>
    public double LogLoss => _lossCount == 0 ? double.NaN : _lossSum / _lossCount;

    /// <summary>Whether the full confusion matrix is kept (<see cref="ClassCount"/> ≤ <see cref="MaxConfusionClasses"/>).</summary>
    public bool HasConfusionMatrix => _confusion is not null;

    /// <summary>The confusion matrix, row-major: entry [actual × <see cref="ClassCount"/> + predicted] counts rows of class <c>actual</c> predicted as <c>predicted</c>.</summary>
    /// <exception cref="InvalidOperationException">More than <see cref="MaxConfusionClasses"/> classes.</exception>
    public ReadOnlySpan<long> ConfusionMatrix => _confusion ?? throw new InvalidOperationException($"The confusion matrix is kept up to {MaxConfusionClasses} classes; these metrics have {ClassCount}.");

    /// <summary>Rows of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    /// <returns>The count.</returns>
    public long Confusion(int actual, int predicted)
    {
        CheckClass(actual, nameof(actual));
        CheckClass(predicted, nameof(predicted));
        return ConfusionMatrix[(actual * ClassCount) + predicted];
    }

    /// <summary>Rows whose label is <paramref name="c"/> (the class's support).</summary>
    /// <param name="c">The class.</param>
    /// <returns>The count.</returns>
    public long Support(int c) => _actual[CheckClass(c, nameof(c))];

    /// <summary>Rows predicted as <paramref name="c"/>.</summary>
    /// <param name="c">The class.</param>
    /// <returns>The count.</returns>
    public long PredictedCount(int c) => _predicted[CheckClass(c, nameof(c))];

    /// <summary>Rows of class <paramref name="c"/> predicted as <paramref name="c"/> (the diagonal, kept at any class count).</summary>
    /// <param name="c">The class, in [0, <see cref="ClassCount"/>).</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="c"/> is not a class.</exception>
    public long CorrectCount(int c) => _correct[CheckClass(c, nameof(c))];

    /// <summary>Of the rows predicted as <paramref name="c"/>, the fraction that are <paramref name="c"/>; NaN if none was predicted.</summary>
    /// <param name="c">The class.</param>
    /// <returns>The precision.</returns>
    public double Precision(int c) => Ratio(_correct[CheckClass(c, nameof(c))], _predicted[c]);

    /// <summary>Of the rows of class <paramref name="c"/>, the fraction predicted as <paramref name="c"/>; NaN if there are none.</summary>
    /// <param name="c">The class.</param>
    /// <returns>The recall.</returns>
    public double Recall(int c) => Ratio(_correct[CheckClass(c, nameof(c))], _actual[c]);

    /// <summary>Harmonic mean of <see cref="Precision"/> and <see cref="Recall"/>, computed as <c>2·correct / (support + predicted)</c> (0 when a present class is never predicted right); NaN only when the class is neither in the labels nor predicted.</summary>
    /// <param name="c">The class.</param>
    /// <returns>The F1 score.</returns>
    public double F1(int c) => Ratio(2 * _correct[CheckClass(c, nameof(c))], _actual[c] + _predicted[c]);

    /// <summary>Mean precision over the classes present in the labels (an undefined precision counts as 0); NaN before any row.</summary>
    public double MacroPrecision => Macro(static (m, c) => m.Precision(c));

    /// <summary>Mean recall over the classes present in the labels; NaN before any row.</summary>
    public double MacroRecall => Macro(static (m, c) => m.Recall(c));

    /// <summary>Mean F1 over the classes present in the labels; NaN before any row.</summary>
    public double MacroF1 => Macro(static (m, c) => m.F1(c));

    /// <summary>Forgets every row, keeping the buffers.</summary>
    public void Reset()
    {
        _confusion?.AsSpan().Clear();
        _actual.AsSpan().Clear();
        _predicted.AsSpan().Clear();
        _correct.AsSpan().Clear();
        _count = 0;
        _lossCount = 0;
        _lossSum = 0;
    }

    /// <summary>Counts rows whose labels and predicted classes you have.</summary>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="predicted">The predicted class of each row, same length.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class outside [0, <see cref="ClassCount"/>) (nothing is counted then).</exception>
    public void Add(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted)
    {
        if (labels.Length != predicted.Length)
        {
            throw new ArgumentException($"Expected one prediction per label ({labels.Length}), got {predicted.Length}.", nameof(predicted));
        }

        DataArguments.Labels(labels, labels.Length, ClassCount, nameof(labels));
        DataArguments.Labels(predicted, predicted.Length, ClassCount, nameof(predicted));
        AddTrusted(labels, predicted);
    }

    /// <summary>Counts rows of class probabilities: the predicted class is each row's most probable (the first on ties), and each row adds <c>−ln max(p(label), <see cref="ProbabilityFloor"/>)</c> to the log-loss.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="probabilities">One row of <see cref="ClassCount"/> probabilities per label.</param>
    /// <exception cref="ArgumentException">Shapes that do not match, or a probability that is NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label outside [0, <see cref="ClassCount"/>).</exception>
    public void Add<T>(ReadOnlySpan<int> labels, ReadOnlyMatrixSpan<T> probabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (probabilities.Rows != labels.Length || probabilities.Columns != ClassCount)
        {
            throw new ArgumentException($"Expected a {labels.Length}×{ClassCount} matrix (one row per label), got {probabilities.Rows}×{probabilities.Columns}.", nameof(probabilities));
        }

        DataArguments.Labels(labels, labels.Length, ClassCount, nameof(labels));
        for (int r = 0; r < probabilities.Rows; r++)
        {
            ReadOnlySpan<T> row = probabilities.Row(r);
            int best = 0;
            for (int k = 0; k < row.Length; k++)
            {
                if (!(row[k] >= T.Zero && row[k] <= T.One))
                {
                    throw new ArgumentException($"Row {r}, class {k}: {row[k]} is not a probability.", nameof(probabilities));
                }

                best = row[k] > row[best] ? k : best;
            }

            AddOne(labels[r], best);
            _lossSum -= Math.Log(Math.Max(double.CreateTruncating(row[labels[r]]), ProbabilityFloor));
            _lossCount++;
        }
    }

    /// <summary>Counts a batch of logits (labels already checked): arg-max into <paramref name="scratch"/>, exact mean cross-entropy.</summary>
    internal void AddLogits<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> labels, Span<int> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        RowColumnOps.ArgMaxRows(logits, scratch);
        AddTrusted(labels, scratch);
        _lossSum += double.CreateTruncating(CrossEntropy.SoftmaxCrossEntropyLoss(logits, labels)) * logits.Rows;
        _lossCount += logits.Rows;
    }

    private void AddTrusted(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            AddOne(labels[i], predicted[i]);
        }
    }

    private void AddOne(int label, int predicted)
    {
        _actual[label]++;
        _predicted[predicted]++;
        _correct[label] += label == predicted ? 1 : 0;
        if (_confusion is not null)
        {
            _confusion[(label * ClassCount) + predicted]++;
        }

        _count++;
    }

    private double Macro(Func<ClassificationMetrics, int, double> metric)
    {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < ClassCount; c++)
        {
            if (_actual[c] > 0)
            {
                double v = metric(this, c);
                sum += double.IsNaN(v) ? 0 : v;
                present++;
            }
        }

        return present == 0 ? double.NaN : sum / present;
    }

    private int CheckClass(int c, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(c, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(c, ClassCount, name);
        return c;
    }

    private static double Ratio(long part, long whole) => whole == 0 ? double.NaN : (double)part / whole;
}
