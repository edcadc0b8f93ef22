using System.Globalization;
using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training.Data;

/// <summary>How features are scaled before they reach the network.</summary>
public enum ScalingKind
{
    /// <summary>Features are used as they are.</summary>
    None = 0,

    /// <summary>Each feature minus its training mean, divided by its training standard deviation (population form); a constant feature becomes 0.</summary>
    Standardize = 1,

    /// <summary>Each feature mapped so that its training minimum is 0 and its maximum 1; a constant feature becomes 0.</summary>
    MinMax = 2,
}

/// <summary>
/// A per-feature affine map <c>x′ = (x − offset) × scale</c>, fitted on a training set
/// (<see cref="Fit{T}"/>), stored with the model, and applied unchanged at evaluation and prediction.
/// Computed in double and rounded once to the element type, so every caller gets the same bits.
/// </summary>
public sealed class FeatureScaling
{
    private readonly double[] _offsets;
    private readonly double[] _scales;

    /// <summary>Creates a scaling from explicit offsets and scales (e.g. read from a model file).</summary>
    /// <param name="kind">What the numbers mean (informational; the map is always <c>(x − offset) × scale</c>).</param>
    /// <param name="offsets">One finite offset per feature.</param>
    /// <param name="scales">One finite, non-zero scale per feature.</param>
    /// <exception cref="ArgumentException">Lengths differ or are zero, a value is not finite, or a scale is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Unknown kind.</exception>
    public FeatureScaling(ScalingKind kind, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scaling kind.");
        }

        if (offsets.Length != scales.Length || offsets.Length == 0)
        {
            throw new ArgumentException($"Expected as many scales as offsets (at least one); got {offsets.Length} offsets and {scales.Length} scales.", nameof(scales));
        }

        for (int i = 0; i < offsets.Length; i++)
        {
            if (!double.IsFinite(offsets[i]))
            {
                throw new ArgumentException($"Offset {i} is {offsets[i]}; expected a finite number.", nameof(offsets));
            }

            if (!double.IsFinite(scales[i]) || scales[i] == 0)
            {
                throw new ArgumentException($"Scale {i} is {scales[i]}; expected a finite non-zero number.", nameof(scales));
            }
        }

        Kind = kind;
        _offsets = offsets.ToArray();
        _scales = scales.ToArray();
    }

    /// <summary>What kind of scaling this is.</summary>
    public ScalingKind Kind { get; }

    /// <summary>Number of features.</summary>
    public int FeatureCount => _offsets.Length;

    /// <summary>What is subtracted from each feature.</summary>
    public ReadOnlySpan<double> Offsets => _offsets;

    /// <summary>What each feature is then multiplied by.</summary>
    public ReadOnlySpan<double> Scales => _scales;

    /// <summary>
    /// Fits a scaling to training features: means and standard deviations, or minima and ranges, per
    /// column, in double. Each column is first divided by a power of two near its largest magnitude
    /// (exact), so sums, differences and squares cannot overflow whatever the finite values — ±1e308
    /// included — and the results are scaled back at the end.
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="features">At least one row of finite features.</param>
    /// <param name="kind">The kind to fit; <see cref="ScalingKind.None"/> gives the identity.</param>
    /// <returns>The fitted scaling: finite offsets and finite non-zero factors.</returns>
    /// <exception cref="ArgumentException">No rows or no columns, or a feature is not finite.</exception>
    public static FeatureScaling Fit<T>(ReadOnlyMatrixSpan<T> features, ScalingKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (features.Rows == 0 || features.Columns == 0)
        {
            throw new ArgumentException("Cannot fit a scaling to an empty matrix.", nameof(features));
        }

        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scaling kind.");
        }

        int n = features.Columns;
        double[] offsets = new double[n];
        double[] scales = new double[n];
        scales.AsSpan().Fill(1);
        if (kind == ScalingKind.None)
        {
            return new FeatureScaling(kind, offsets, scales);
        }

        double[] min = new double[n];
        double[] max = new double[n];
        min.AsSpan().Fill(double.PositiveInfinity);
        max.AsSpan().Fill(double.NegativeInfinity);
        for (int r = 0; r < features.Rows; r++)
        {
            ReadOnlySpan<T> row = features.Row(r);
            for (int c = 0; c < n; c++)
            {
                double v = double.CreateTruncating(row[c]);
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException($"Feature {c} of row {r} is {v}; the features must be finite.", nameof(features));
                }

                min[c] = Math.Min(min[c], v);
                max[c] = Math.Max(max[c], v);
            }
        }

        if (kind == ScalingKind.MinMax)
        {
            for (int c = 0; c < n; c++)
            {
                offsets[c] = min[c];

                // max − min may overflow (1e308 − (−1e308)); half of each cannot.
                double halfRange = (max[c] * 0.5) - (min[c] * 0.5);
                scales[c] = Reciprocal(halfRange) * 0.5;
            }

            return new FeatureScaling(kind, offsets, Fallback(scales));
        }

        // Standardise, column by column on values divided by 2^e (e the exponent of the largest magnitude): |y| < 2.
        double[] unit = new double[n];
        for (int c = 0; c < n; c++)
        {
            double largest = Math.Max(Math.Abs(min[c]), Math.Abs(max[c]));
            unit[c] = largest == 0 ? 1 : Math.ScaleB(1.0, -Math.Max(Math.ILogB(largest), -1000));
        }

        double[] sums = new double[n];
        for (int r = 0; r < features.Rows; r++)
        {
            ReadOnlySpan<T> row = features.Row(r);
            for (int c = 0; c < n; c++)
            {
                sums[c] += double.CreateTruncating(row[c]) * unit[c];
            }
        }

        double[] means = new double[n];
        for (int c = 0; c < n; c++)
        {
            means[c] = sums[c] / features.Rows;
            sums[c] = 0;
        }

        for (int r = 0; r < features.Rows; r++)
        {
            ReadOnlySpan<T> row = features.Row(r);
            for (int c = 0; c < n; c++)
            {
                double d = (double.CreateTruncating(row[c]) * unit[c]) - means[c];
                sums[c] += d * d;
            }
        }

        for (int c = 0; c < n; c++)
        {
            // The mean lies in [min, max]; clamping only undoes rounding at the very top of the range.
            offsets[c] = Math.Clamp(means[c] / unit[c], min[c], max[c]);

            // A constant column has a standard deviation of rounding noise; dividing by it would blow 0 up to ±1.
            double std = Math.Sqrt(sums[c] / features.Rows);
            scales[c] = max[c] > min[c] && std > 0 ? Reciprocal(std) * unit[c] : 1;
        }

        return new FeatureScaling(kind, offsets, Fallback(scales));
    }

    /// <summary>Scales every row of <paramref name="features"/> in place.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="features">Rows of <see cref="FeatureCount"/> features, any stride.</param>
    /// <exception cref="ArgumentException">Wrong number of columns.</exception>
    /// <exception cref="DataFormatException">A value scales to a number beyond the range of <typeparamref name="T"/> (the message names the row and the feature); the rows before it are scaled, the rest are not.</exception>
    public void Apply<T>(MatrixSpan<T> features)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Apply(features, null, default, null);

    /// <summary>Scales every row of <paramref name="features"/> in place, naming the file, line and column of a value that cannot be scaled.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="features">Rows of <see cref="FeatureCount"/> features, any stride.</param>
    /// <param name="sourceName">The file the rows came from, or null.</param>
    /// <param name="rowLines">The 1-based line of each row in that file, or empty when unknown (rows are then named by number).</param>
    /// <param name="featureNames">The features' names, or null.</param>
    /// <exception cref="ArgumentException">Wrong number of columns, or <paramref name="rowLines"/> of the wrong length.</exception>
    /// <exception cref="DataFormatException">A value scales to a number beyond the range of <typeparamref name="T"/>; the rows before it are scaled, the rest are not.</exception>
    public void Apply<T>(MatrixSpan<T> features, string? sourceName, ReadOnlySpan<long> rowLines, IReadOnlyList<string>? featureNames)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (features.Columns != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features per row, got {features.Columns}.", nameof(features));
        }

        if (!rowLines.IsEmpty && rowLines.Length != features.Rows)
        {
            throw new ArgumentException($"Expected one line number per row ({features.Rows}), got {rowLines.Length}.", nameof(rowLines));
        }

        if (Kind == ScalingKind.None && IsIdentity())
        {
            return;
        }

        for (int r = 0; r < features.Rows; r++)
        {
            Span<T> row = features.Row(r);
            for (int c = 0; c < row.Length; c++)
            {
                double x = double.CreateTruncating(row[c]);
                double d = x - _offsets[c];
                double z = double.IsFinite(d) ? d * _scales[c] : (((x * 0.5) - (_offsets[c] * 0.5)) * _scales[c]) * 2;
                T scaled = T.CreateTruncating(z);
                if (!T.IsFinite(scaled) && double.IsFinite(x))
                {
                    throw OutOfRange<T>(x, z, r, c, sourceName, rowLines, featureNames);
                }

                row[c] = scaled;
            }
        }
    }

    private DataFormatException OutOfRange<T>(double x, double z, int row, int column, string? sourceName, ReadOnlySpan<long> rowLines, IReadOnlyList<string>? featureNames)
    {
        // The column is named by the feature's name: its position in the network's input need not be its column in the file.
        string type = typeof(T) == typeof(float) ? "float" : "double";
        string? name = featureNames is not null && column < featureNames.Count ? $"'{CsvRowReader.Excerpt(featureNames[column])}'" : null;
        string rowPart = rowLines.IsEmpty ? string.Create(CultureInfo.InvariantCulture, $"row {row + 1}, ") : string.Empty;
        string featurePart = string.Create(CultureInfo.InvariantCulture, $"feature {column + 1}{(name is null ? string.Empty : " (" + name + ")")}: ");
        string where = rowLines.IsEmpty || name is null ? rowPart + featurePart : string.Empty;
        string result = double.IsFinite(z) ? z.ToString("R", CultureInfo.InvariantCulture) : "beyond ±1.8e308";
        string problem = string.Create(CultureInfo.InvariantCulture, $"{where}{x:R} scales to {result} (offset {_offsets[column]:R}, factor {_scales[column]:R}), beyond the range of {type}.");
        return new DataFormatException(problem, sourceName, rowLines.IsEmpty ? 0 : rowLines[row], rowLines.IsEmpty ? null : name);
    }

    /// <summary>1 / <paramref name="x"/>, or 0 when that is not a finite number (x = 0, or x so small its reciprocal overflows).</summary>
    private static double Reciprocal(double x)
    {
        double r = 1 / x;
        return x > 0 && double.IsFinite(r) ? r : 0;
    }

    /// <summary>A factor that came out 0 or non-finite (a constant column, or one whose spread is below 2⁻¹⁰²⁴) becomes 1.</summary>
    private static double[] Fallback(double[] scales)
    {
        for (int c = 0; c < scales.Length; c++)
        {
            if (!double.IsFinite(scales[c]) || scales[c] == 0)
            {
                scales[c] = 1;
            }
        }

        return scales;
    }

    private bool IsIdentity()
    {
        for (int c = 0; c < _offsets.Length; c++)
        {
            if (_offsets[c] != 0 || _scales[c] != 1)
            {
                return false;
            }
        }

        return true;
    }
}
