using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Training.Data;

namespace Backprop.Training.Inference;

/// <summary>
/// A read-only copy of a trained network prepared for prediction from raw features: the feature
/// scaling folded into the first layer, every layer also packed once for <see cref="GemmFewRows"/>
/// (calls of up to <see cref="FewRowsLimit"/> rows; larger ones run the batch path's GEMM),
/// workspaces in a pool that never drops one. Built once (by
/// <see cref="Persistence.TrainedModel{T}"/> on its first prediction) and shared by every thread.
/// </summary>
/// <remarks>
/// <para>
/// The scaling <c>x′ = (x − o) ∘ s</c> meets the first layer <c>z = x′·W + b</c>. The factor is
/// always folded: <c>W′ = diag(s)·W</c> (each product formed in double and rounded once). An offset is
/// folded into the bias, <c>b′ = b − Σᵢ oᵢ·sᵢ·W′ᵢ</c> (in double), only where <c>|oᵢ·sᵢ| ≤ 1</c>;
/// there the raw feature is used as it is. The others (features whose offset is large next to their
/// spread, e.g. a year around 2000 ± 10) have the offset subtracted from the raw value per call, in
/// double, rounded once to <typeparamref name="T"/>: folding them would compute <c>x·s·W</c> and
/// <c>o·s·W</c>, both large, and cancel them, an error that grows with the raw magnitude <c>|x·s|</c>.
/// </para>
/// <para>
/// Error against scaling first then predicting, at a first-layer output j with n inputs and u the
/// unit round-off of <typeparamref name="T"/>: both are within <c>(n + 3)·u·(|bⱼ| + Σᵢ (|x′ᵢ| + 1)·|Wᵢⱼ|)</c>
/// of the exact value, the "+ 1" bounding the folded offsets (|oᵢ·sᵢ| ≤ 1): a bound in terms of the
/// scaled features x′, whatever the raw magnitudes. Later layers propagate it through Lipschitz-1
/// activations and add their own rounding as the batch path does.
/// </para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class InferenceNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows per forward pass of the pooled workspaces.</summary>
    internal const int BatchRows = 128;

    /// <summary>
    /// Calls of up to this many rows take the latency path (<see cref="GemmFewRows"/> on weights packed
    /// once here, groups of 8 rows per weight read); more take the packed GEMM of the batch path.
    /// A guess from FMA counts (8 rows per group keep the FMA units as busy as GEMM's micro-kernel,
    /// without GEMM's per-call packing of B); the inference benchmarks say where the crossover is.
    /// </summary>
    internal const int FewRowsLimit = 32;

    /// <summary>The folded offsets are those with |offset × scale| at most this.</summary>
    internal const double FoldLimit = 1.0;

    private readonly Network<T> _network;
    private readonly double[]? _offsets;
    private readonly double[]? _scales;
    private readonly FewRowsWeights<T>[] _packed;

    /// <summary>Copies <paramref name="network"/> with <paramref name="scaling"/> folded in.</summary>
    public InferenceNetwork(Network<T> network, FeatureScaling? scaling)
    {
        NetworkShape shape = network.Shape;
        _network = new Network<T>(shape);
        network.Parameters.CopyTo(_network.Parameters);
        if (scaling is not null && !TryFold(network.Layer(0), _network.Layer(0), scaling, out _offsets))
        {
            // A folded weight or bias beyond the range of T (a factor near the top of the range):
            // keep the network as trained and scale every feature per call, as FeatureScaling does.
            network.Parameters.CopyTo(_network.Parameters);
            _offsets = scaling.Offsets.ToArray();
            _scales = scaling.Scales.ToArray();
        }

        _packed = new FewRowsWeights<T>[shape.LayerCount];
        for (int l = 0; l < shape.LayerCount; l++)
        {
            LayerView<T> layer = _network.Layer(l);
            _packed[l] = new FewRowsWeights<T>(layer.Weights, layer.Bias);
        }

        Pool = new WorkspacePool<T>(new WorkspacePoolPolicy<T>(shape, BatchRows));
    }

    /// <summary>The architecture.</summary>
    public NetworkShape Shape => _network.Shape;

    /// <summary>The folded network (first layer <c>W′</c>, <c>b′</c>); read-only by contract.</summary>
    public Network<T> Folded => _network;

    /// <summary>The offsets subtracted per call (0 where folded), or null when every offset is folded.</summary>
    public ReadOnlySpan<double> RemainingOffsets => _offsets;

    /// <summary>Whether folding was impossible (a folded parameter beyond the range of T) and every call scales its features instead.</summary>
    public bool ScalesPerCall => _scales is not null;

    /// <summary>The workspaces.</summary>
    public WorkspacePool<T> Pool { get; }

    /// <summary>
    /// Logits of rows [<paramref name="start"/>, start + <paramref name="rows"/>) of <paramref name="raw"/>
    /// (already checked: columns and finiteness), a view into <paramref name="workspace"/>.
    /// </summary>
    public MatrixSpan<T> Logits(ReadOnlyMatrixSpan<T> raw, int start, int rows, Workspace<T> workspace, string name)
    {
        ReadOnlyMatrixSpan<T> x = raw.SliceRows(start, rows);
        if (_offsets is not null)
        {
            MatrixSpan<T> shifted = workspace.Inputs(rows);
            Shift(x, shifted, start, name);
            x = shifted;
        }

        if (rows > FewRowsLimit)
        {
            return Backpropagation.Forward(_network, workspace, x);
        }

        MatrixSpan<T> z = default;
        for (int l = 0; l < _packed.Length; l++)
        {
            z = workspace.Activations(l, rows);
            GemmFewRows.Multiply(x, _packed[l], z);
            if (l < _packed.Length - 1)
            {
                Backpropagation.ActivationForward(Shape.HiddenActivation, z.Span);
            }

            x = z;
        }

        return z;
    }

    /// <summary>Checks the raw rows: column count and finiteness.</summary>
    public void Check(ReadOnlyMatrixSpan<T> raw, string name) => DataArguments.Features(raw, Shape.Inputs, name);

    private void Shift(ReadOnlyMatrixSpan<T> x, MatrixSpan<T> destination, int firstRow, string name)
    {
        double[] offsets = _offsets!;
        double[]? scales = _scales;
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<T> source = x.Row(r);
            Span<T> target = destination.Row(r);
            for (int c = 0; c < source.Length; c++)
            {
                double d = double.CreateTruncating(source[c]) - offsets[c];
                T v = T.CreateTruncating(scales is null ? d : d * scales[c]);
                if (!T.IsFinite(v))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {firstRow + r}, feature {c}: {source[c]} scaled by the model's feature scaling (offset {offsets[c]:R}) is beyond the range of {typeof(T).Name}."), name);
                }

                target[c] = v;
            }
        }
    }

    /// <summary>Writes <c>W′ = diag(s)·W</c> and, for the foldable offsets, <c>b′ = b − Σ oᵢ·sᵢ·Wᵢ</c>; gives the offsets left to subtract per call, or null; false when a folded value is beyond the range of T.</summary>
    private static bool TryFold(LayerView<T> source, LayerView<T> destination, FeatureScaling scaling, out double[]? remaining)
    {
        ReadOnlySpan<double> offsets = scaling.Offsets;
        ReadOnlySpan<double> scales = scaling.Scales;
        int fanOut = source.FanOut;
        double[] bias = new double[fanOut];
        for (int j = 0; j < fanOut; j++)
        {
            bias[j] = double.CreateTruncating(source.Bias[j]);
        }

        remaining = null;
        for (int i = 0; i < source.FanIn; i++)
        {
            ReadOnlySpan<T> w = source.Weights.Row(i);
            Span<T> folded = destination.Weights.Row(i);
            double s = scales[i];
            double os = offsets[i] * s;
            bool foldOffset = Math.Abs(os) <= FoldLimit;
            for (int j = 0; j < fanOut; j++)
            {
                double ws = double.CreateTruncating(w[j]) * s;
                folded[j] = T.CreateTruncating(ws);
                if (!T.IsFinite(folded[j]))
                {
                    return false;
                }

                if (foldOffset)
                {
                    bias[j] -= offsets[i] * ws;
                }
            }

            if (!foldOffset)
            {
                remaining ??= new double[source.FanIn];
                remaining[i] = offsets[i];
            }
        }

        for (int j = 0; j < fanOut; j++)
        {
            destination.Bias[j] = T.CreateTruncating(bias[j]);
            if (!T.IsFinite(destination.Bias[j]))
            {
                return false;
            }
        }

        return true;
    }
}
