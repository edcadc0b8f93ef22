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

    /// <summary>Fits a scaling to training features: means and standard deviations, or minima and ranges, per column, in double.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="features">At least one row of finite features.</param>
    /// <param name="kind">The kind to fit; <see cref="ScalingKind.None"/> gives the identity.</param>
    /// <returns>The fitted scaling.</returns>
    /// <exception cref="ArgumentException">No rows or no columns.</exception>
    public static FeatureScaling Fit<T>(ReadOnlyMatrixSpan<T> features, ScalingKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (features.Rows == 0 || features.Columns == 0)
        {
            throw new ArgumentException("Cannot fit a scaling to an empty matrix.", nameof(features));
        }

        int n = features.Columns;
        double[] offsets = new double[n];
        double[] scales = new double[n];
        scales.AsSpan().Fill(1);
        switch (kind)
        {
            case ScalingKind.None:
                break;
            case ScalingKind.Standardize:
                {
                    for (int r = 0; r < features.Rows; r++)
                    {
                        ReadOnlySpan<T> row = features.Row(r);
                        for (int c = 0; c < n; c++)
                        {
                            offsets[c] += double.CreateTruncating(row[c]);
                        }
                    }

                    for (int c = 0; c < n; c++)
                    {
                        offsets[c] /= features.Rows;
                    }

                    double[] squares = new double[n];
                    bool[] varies = new bool[n];
                    ReadOnlySpan<T> first = features.Row(0);
                    for (int r = 0; r < features.Rows; r++)
                    {
                        ReadOnlySpan<T> row = features.Row(r);
                        for (int c = 0; c < n; c++)
                        {
                            double d = double.CreateTruncating(row[c]) - offsets[c];
                            squares[c] += d * d;
                            varies[c] |= row[c] != first[c];
                        }
                    }

                    for (int c = 0; c < n; c++)
                    {
                        // A constant column has a standard deviation of rounding noise; dividing by it would blow 0 up to ±1.
                        double std = Math.Sqrt(squares[c] / features.Rows);
                        scales[c] = varies[c] && std > 0 && double.IsFinite(1 / std) ? 1 / std : 1;
                    }

                    break;
                }

            case ScalingKind.MinMax:
                {
                    double[] max = new double[n];
                    offsets.AsSpan().Fill(double.PositiveInfinity);
                    max.AsSpan().Fill(double.NegativeInfinity);
                    for (int r = 0; r < features.Rows; r++)
                    {
                        ReadOnlySpan<T> row = features.Row(r);
                        for (int c = 0; c < n; c++)
                        {
                            double v = double.CreateTruncating(row[c]);
                            offsets[c] = Math.Min(offsets[c], v);
                            max[c] = Math.Max(max[c], v);
                        }
                    }

                    for (int c = 0; c < n; c++)
                    {
                        double range = max[c] - offsets[c];
                        scales[c] = range > 0 && double.IsFinite(1 / range) ? 1 / range : 1;
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scaling kind.");
        }

        if (offsets.Any(o => !double.IsFinite(o)))
        {
            throw new ArgumentException("The features are not all finite.", nameof(features));
        }

        return new FeatureScaling(kind, offsets, scales);
    }

    /// <summary>Scales every row of <paramref name="features"/> in place.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="features">Rows of <see cref="FeatureCount"/> features, any stride.</param>
    /// <exception cref="ArgumentException">Wrong number of columns.</exception>
    public void Apply<T>(MatrixSpan<T> features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (features.Columns != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features per row, got {features.Columns}.", nameof(features));
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
                row[c] = T.CreateTruncating((double.CreateTruncating(row[c]) - _offsets[c]) * _scales[c]);
            }
        }
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
