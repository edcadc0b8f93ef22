using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Backprop.Kernels;
using Backprop.Training.Data;

namespace Backprop.Training.Inference;

/// <summary>
/// A read-only copy of a trained network prepared for prediction from raw features: the feature
/// scaling folded into the first layer, every layer packed once for <see cref="GemmFewRows"/> (its
/// hidden activation fused into the store) and, where it can pay, once more for the packed GEMM's
/// micro-kernel (<see cref="PackedWeights{T}"/>), workspaces in a pool that never drops one. Calls
/// run in chunks of <see cref="BatchRows"/> rows; each layer takes the packed GEMM with the fused
/// bias and activation for the chunk's whole tiles of rows from <see cref="GemmFrom"/> rows on (a
/// per-width crossover, measured), and GemmFewRows for the rest: a single row, a few rows, narrow
/// layers, a partial tile's rows. A network no layer of which is wider than
/// <see cref="GemmFewRows.MaxChainWidth"/> runs, at 256 and 512 bits, whole vectors of rows through all its
/// layers at once (<see cref="GemmFewRows.TryMultiplyChain{T}"/>, bit-identical to GemmFewRows layer by
/// layer, the per-call offsets and the softmax taken in the same pass). None packs the weights during a call. Built once (by
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

    /// <summary>The folded offsets are those with |offset × scale| at most this.</summary>
    internal const double FoldLimit = 1.0;

    private readonly Network<T> _network;
    private readonly double[]? _offsets;
    private readonly double[]? _scales;
    private readonly FewRowsWeights<T>[] _packed;
    private readonly PackedWeights<T>?[] _gemm;
    private readonly int _firstGemmLayer = -1;
    private readonly bool _chain;
    private readonly bool _fuseSoftmax;
    private readonly ActivationFunction _hidden;

    /// <summary>Copies <paramref name="network"/> with <paramref name="scaling"/> folded in.</summary>
    /// <param name="network">The trained network (copied: later changes to it are not seen).</param>
    /// <param name="scaling">The feature scaling to fold, or null.</param>
    /// <param name="batchRows">Rows per pass of the pooled workspaces.</param>
    /// <param name="retained">The pool's initial room for idle workspaces (0: its default).</param>
    public InferenceNetwork(Network<T> network, FeatureScaling? scaling, int batchRows = BatchRows, int retained = 0)
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

        _hidden = shape.HiddenActivation switch
        {
            HiddenActivation.Sigmoid => ActivationFunction.Sigmoid,
            HiddenActivation.Tanh => ActivationFunction.Tanh,
            _ => ActivationFunction.Relu,
        };
        _packed = new FewRowsWeights<T>[shape.LayerCount];
        _gemm = new PackedWeights<T>?[shape.LayerCount];
        for (int l = 0; l < shape.LayerCount; l++)
        {
            LayerView<T> layer = _network.Layer(l);
            _packed[l] = new FewRowsWeights<T>(layer.Weights, layer.Bias);
            if (GemmFrom(layer.FanOut) <= batchRows)
            {
                _gemm[l] = new PackedWeights<T>(MatrixOperation.None, layer.Weights);
                _firstGemmLayer = _firstGemmLayer < 0 ? l : _firstGemmLayer;
            }
        }

        _chain = KernelSimd.VectorBits >= 256 && shape.Inputs <= GemmFewRows.MaxChainWidth && shape.MaxLayerWidth <= GemmFewRows.MaxChainWidth;
        _fuseSoftmax = shape.Outputs < _packed[0].Lanes;
        Action<Workspace<T>>? prepare = _firstGemmLayer >= 0 ? w => AllocateGemm(w.Inputs(1), w) : null;
        Pool = new WorkspacePool<T>(new WorkspacePoolPolicy<T>(shape, batchRows, prepare), retained);
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
        Prepare(x, workspace);
        MatrixSpan<T> z = workspace.Activations(_packed.Length - 1, rows);
        int chainRows = ChainRows(rows);
        if (chainRows > 0)
        {
            Chain(x.SliceRows(0, chainRows), false, z.SliceRows(0, chainRows), start, workspace, name);
        }

        if (chainRows < rows)
        {
            LayerByLayer(x, chainRows, start, workspace, name);
        }

        return z;
    }

    /// <summary>
    /// Class probabilities of rows [<paramref name="start"/>, start + <paramref name="rows"/>) of
    /// <paramref name="raw"/> (already checked: columns and finiteness) into <paramref name="destination"/>
    /// (those rows' probabilities; must not overlap <paramref name="raw"/>). The rows the chain takes
    /// go from the raw features to the probabilities in one pass (<see cref="GemmFewRows.TryMultiplyChain{T}"/>:
    /// the offsets subtracted and, for fewer classes than a vector has lanes, the softmax taken in the
    /// lanes, within a few ulp of <see cref="Softmax.Forward{T}"/>); the others as logits, then Softmax.
    /// </summary>
    public void Probabilities(ReadOnlyMatrixSpan<T> raw, int start, int rows, Workspace<T> workspace, MatrixSpan<T> destination, string name)
    {
        ReadOnlyMatrixSpan<T> x = raw.SliceRows(start, rows);
        Prepare(x, workspace);
        int chainRows = ChainRows(rows);
        if (chainRows > 0)
        {
            MatrixSpan<T> p = destination.SliceRows(0, chainRows);
            Chain(x.SliceRows(0, chainRows), _fuseSoftmax, p, start, workspace, name);
            if (!_fuseSoftmax)
            {
                Softmax.Forward<T>(p, p);
            }
        }

        if (chainRows < rows)
        {
            LayerByLayer(x, chainRows, start, workspace, name);
            MatrixSpan<T> z = workspace.Activations(_packed.Length - 1, rows);
            Softmax.Forward<T>(z.SliceRows(chainRows, rows - chainRows), destination.SliceRows(chainRows, rows - chainRows));
        }
    }

    /// <summary>Allocates the workspace's GEMM buffer on its first call (see <see cref="AllocateGemm"/>).</summary>
    private void Prepare(ReadOnlyMatrixSpan<T> x, Workspace<T> workspace)
    {
        if (_firstGemmLayer >= 0 && !workspace.Gemm.IsAllocated)
        {
            AllocateGemm(x, workspace);
        }
    }

    /// <summary>The chain from the raw rows <paramref name="x"/> (the offsets subtracted in the pass); throws as <see cref="Shift"/> does when a feature cannot be scaled.</summary>
    private void Chain(ReadOnlyMatrixSpan<T> x, bool softmax, MatrixSpan<T> y, int start, Workspace<T> workspace, string name)
    {
        if (!GemmFewRows.TryMultiplyChain(x, _offsets, _scales, _packed, _hidden, softmax, y))
        {
            // A shifted feature is not finite: the separate shift finds the first one and names it.
            Shift(x, workspace.Inputs(x.Rows), start, name);
            throw new InvalidOperationException("The chain found a feature the scaling takes beyond the range of the type, the shift none.");
        }
    }

    /// <summary>
    /// Rows [<paramref name="first"/>, rows(x)) of the chunk <paramref name="x"/> (raw) layer by layer
    /// into the same rows of the workspace's last activations (the rows the chain did not take;
    /// bit-identical to it for those it did).
    /// </summary>
    private void LayerByLayer(ReadOnlyMatrixSpan<T> x, int first, int start, Workspace<T> workspace, string name)
    {
        int rows = x.Rows - first;
        x = x.SliceRows(first, rows);
        if (_offsets is not null)
        {
            MatrixSpan<T> shifted = workspace.Inputs(rows);
            Shift(x, shifted, start + first, name);
            x = shifted;
        }

        int last = _packed.Length - 1;
        for (int l = 0; l <= last; l++)
        {
            MatrixSpan<T> z = workspace.Activations(l, first + rows).SliceRows(first, rows);
            ActivationFunction f = l < last ? _hidden : ActivationFunction.Identity;
            int gemmRows = GemmRows(l, rows);
            if (gemmRows > 0)
            {
                Gemm.MultiplyBiasActivation(MatrixOperation.None, x.SliceRows(0, gemmRows), _gemm[l]!, _network.Layer(l).Bias, f, z.SliceRows(0, gemmRows), workspace.Gemm);
            }

            if (gemmRows < rows)
            {
                GemmFewRows.Multiply(x.SliceRows(gemmRows, rows - gemmRows), _packed[l], z.SliceRows(gemmRows, rows - gemmRows), f);
            }

            x = z;
        }
    }

    /// <summary>
    /// How many of a call's <paramref name="rows"/> (the first ones) run as one chain through the whole
    /// network (<see cref="GemmFewRows.TryMultiplyChain{T}"/>, bit-identical to the layer-by-layer calls,
    /// the offsets subtracted and the softmax taken in its pass): whole vectors of rows, when every
    /// layer is at most <see cref="GemmFewRows.MaxChainWidth"/> wide and the kernels run 256- or
    /// 512-bit vectors. Measured in one process, alternating, on a loaded 2-core Zen 5 (20-32-5, float,
    /// medians): 256 rows 5.5 µs against 12.8 layer by layer at 512 bits; at 256 bits 12.7 against 24.1
    /// µs, and with AVX-512 disabled (16 registers, one vector of rows per block) 21–24 against
    /// 37–42 µs, 8 rows 0.77 against 1.0 µs. Not at 128 bits (not a default width anywhere it matters).
    /// </summary>
    internal int ChainRows(int rows)
    {
        int lanes = _packed[0].Lanes;
        return _chain && lanes > 1 ? rows - (rows % lanes) : 0;
    }

    /// <summary>
    /// Allocates <paramref name="workspace"/>'s GEMM buffer (one row of the first GEMM layer, into
    /// buffers the pass overwrites): when the pool creates the workspace, and on the first call of a
    /// workspace made elsewhere, so no call after a workspace's creation allocates, whatever its size.
    /// </summary>
    private void AllocateGemm(ReadOnlyMatrixSpan<T> x, Workspace<T> workspace)
    {
        int l = _firstGemmLayer;
        ReadOnlyMatrixSpan<T> input = l == 0 ? x.SliceRows(0, 1) : workspace.Activations(l - 1, 1);
        Gemm.MultiplyBiasActivation(MatrixOperation.None, input, _gemm[l]!, _network.Layer(l).Bias, ActivationFunction.Identity, workspace.Activations(l, 1), workspace.Gemm);
    }

    /// <summary>
    /// How many of a call's <paramref name="rows"/> (the first ones) layer <paramref name="layer"/> runs
    /// on the packed GEMM; the rest run on GemmFewRows.
    /// </summary>
    internal int GemmRows(int layer, int rows)
    {
        PackedWeights<T>? gemm = _gemm[layer];
        if (gemm is null || rows < GemmFrom(gemm.Columns))
        {
            return 0;
        }

        // With FMA vectors, the rows of a partial tile cost about a whole tile: GemmFewRows takes them.
        // Without (scalar code, or 128 bits without FMA), GemmFewRows's one chain per output is slower at every count.
        return KernelSimd.VectorBits == 0 || !KernelSimd.FusedMultiplyAdd ? rows : rows - (rows % gemm.TileRows);
    }

    /// <summary>
    /// The fewest rows from which a layer of <paramref name="fanOut"/> outputs runs on the packed GEMM
    /// over weights packed at load (int.MaxValue: never). Measured per width with both kernels on the
    /// same weights (784×256, 256×10, 20×32, 32×5, 256×16, 256×24, 128×48, 256×64, 64×128; float; 1 to
    /// 128 rows; AMD EPYC Zen 5): with FMA vectors the GEMM wins from two tiles of rows (2·MR: 16 at
    /// 512 bits, 12 at 256 and 128) on layers at least two tiles wide (2·NR: 64, 32, 16 float columns),
    /// by 5–10 % at 512 bits and 20–35 % at 256 and 128 (whose few-rows blocks reuse fewer loads);
    /// narrower layers stay faster on GemmFewRows at every row count (a tile mostly padding). Scalar
    /// code and 128 bits without FMA: the GEMM from one tile of rows on every layer (two to six times faster).
    /// </summary>
    internal static int GemmFrom(int fanOut)
    {
        (int mr, int nr) = Tile;
        if (KernelSimd.VectorBits == 0 || !KernelSimd.FusedMultiplyAdd)
        {
            return mr;
        }

        return fanOut >= 2 * nr ? 2 * mr : int.MaxValue;
    }

    /// <summary>MR × NR of the packed GEMM's kernel for <typeparamref name="T"/> in this process.</summary>
    private static (int Rows, int Columns) Tile { get; } = ReadTile();

    private static (int Rows, int Columns) ReadTile()
    {
        var probe = new PackedWeights<T>(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(new T[1], 1, 1));
        return (probe.TileRows, probe.TileColumns);
    }

    /// <summary>
    /// Checks the raw rows: the column count, and their finiteness unless every feature is shifted per
    /// call (<see cref="RemainingOffsets"/> not null: the shift's own check of its results finds a NaN
    /// or ±∞ feature in the same pass and throws this check's exception, naming the row and feature;
    /// a separate pass cost 0.37 of 5.5 µs for 20-32-5 × 256 rows). Then a call's rows before a bad one
    /// may have been written.
    /// </summary>
    public void Check(ReadOnlyMatrixSpan<T> raw, string name)
    {
        if (_offsets is null)
        {
            DataArguments.Features(raw, Shape.Inputs, name);
        }
        else
        {
            DataArguments.FeatureCount(raw, Shape.Inputs, name);
        }
    }

    private void Shift(ReadOnlyMatrixSpan<T> x, MatrixSpan<T> destination, int firstRow, string name)
    {
        double[] offsets = _offsets!;
        double[]? scales = _scales;
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<T> source = x.Row(r);
            Span<T> target = destination.Row(r);
            if (!ShiftRow(source, target, offsets, scales))
            {
                ThrowNotScalable(source, firstRow + r, offsets, scales, name);
            }
        }
    }

    /// <summary>
    /// <c>target = T((double(source) − offsets) · scales)</c> (no product when <paramref name="scales"/> is
    /// null), vectorised where the hardware allows: the same IEEE operations in the same order in every
    /// lane, so the bits are those of the scalar loop. False when a result is not finite.
    /// </summary>
    internal static bool ShiftRow(ReadOnlySpan<T> source, Span<T> target, double[] offsets, double[]? scales)
    {
        int c = 0;
        Vector256<double> check = Vector256<double>.Zero;
        if (Vector512.IsHardwareAccelerated && KernelSimd.VectorBits >= 512)
        {
            // Twice the values per instruction: 784-256-10 × 64 rows with 778 offsets per call, 16 → 9 µs of a 180 µs call.
            c = ShiftRow512(source, target, offsets, scales, ref check);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            ref double o = ref MemoryMarshal.GetArrayDataReference(offsets);
            ref double s = ref scales is null ? ref o : ref MemoryMarshal.GetArrayDataReference(scales);
            if (typeof(T) == typeof(float))
            {
                ref float from = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(source));
                ref float to = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(target));
                for (; c <= source.Length - 8; c += 8)
                {
                    (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)c));
                    lower -= Vector256.LoadUnsafe(ref o, (nuint)c);
                    upper -= Vector256.LoadUnsafe(ref o, (nuint)c + 4);
                    if (scales is not null)
                    {
                        lower *= Vector256.LoadUnsafe(ref s, (nuint)c);
                        upper *= Vector256.LoadUnsafe(ref s, (nuint)c + 4);
                    }

                    Vector256<float> narrowed = Vector256.Narrow(lower, upper);
                    narrowed.StoreUnsafe(ref to, (nuint)c);
                    (lower, upper) = Vector256.Widen(narrowed - narrowed);
                    check += lower + upper;
                }
            }
            else
            {
                ref double from = ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(source));
                ref double to = ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(target));
                for (; c <= source.Length - 4; c += 4)
                {
                    Vector256<double> v = Vector256.LoadUnsafe(ref from, (nuint)c) - Vector256.LoadUnsafe(ref o, (nuint)c);
                    if (scales is not null)
                    {
                        v *= Vector256.LoadUnsafe(ref s, (nuint)c);
                    }

                    v.StoreUnsafe(ref to, (nuint)c);
                    check += v - v;
                }
            }
        }

        bool finite = check == Vector256<double>.Zero;
        for (; c < source.Length; c++)
        {
            double d = double.CreateTruncating(source[c]) - offsets[c];
            T v = T.CreateTruncating(scales is null ? d : d * scales[c]);
            finite &= T.IsFinite(v);
            target[c] = v;
        }

        return finite;
    }

    /// <summary>The 512-bit part of <see cref="ShiftRow"/>: whole vectors from the start; returns where it stopped, NaN in <paramref name="check"/> once a result is not finite.</summary>
    private static int ShiftRow512(ReadOnlySpan<T> source, Span<T> target, double[] offsets, double[]? scales, ref Vector256<double> check)
    {
        int c = 0;
        Vector512<double> found = Vector512<double>.Zero;
        ref double o = ref MemoryMarshal.GetArrayDataReference(offsets);
        ref double s = ref scales is null ? ref o : ref MemoryMarshal.GetArrayDataReference(scales);
        if (typeof(T) == typeof(float))
        {
            ref float from = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(source));
            ref float to = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(target));
            for (; c <= source.Length - 16; c += 16)
            {
                (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(Vector512.LoadUnsafe(ref from, (nuint)c));
                lower -= Vector512.LoadUnsafe(ref o, (nuint)c);
                upper -= Vector512.LoadUnsafe(ref o, (nuint)c + 8);
                if (scales is not null)
                {
                    lower *= Vector512.LoadUnsafe(ref s, (nuint)c);
                    upper *= Vector512.LoadUnsafe(ref s, (nuint)c + 8);
                }

                Vector512<float> narrowed = Vector512.Narrow(lower, upper);
                narrowed.StoreUnsafe(ref to, (nuint)c);
                found += Vector512.WidenLower(narrowed - narrowed);
                found += Vector512.WidenUpper(narrowed - narrowed);
            }
        }
        else
        {
            ref double from = ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(source));
            ref double to = ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(target));
            for (; c <= source.Length - 8; c += 8)
            {
                Vector512<double> v = Vector512.LoadUnsafe(ref from, (nuint)c) - Vector512.LoadUnsafe(ref o, (nuint)c);
                if (scales is not null)
                {
                    v *= Vector512.LoadUnsafe(ref s, (nuint)c);
                }

                v.StoreUnsafe(ref to, (nuint)c);
                found += v - v;
            }
        }

        check += found.GetLower() + found.GetUpper();
        return c;
    }

    private static void ThrowNotScalable(ReadOnlySpan<T> source, int row, double[] offsets, double[]? scales, string name)
    {
        // A NaN or ±∞ feature gets the exception of the separate check (see Check).
        DataArguments.FiniteRow(source, row, name);
        for (int c = 0; c < source.Length; c++)
        {
            double d = double.CreateTruncating(source[c]) - offsets[c];
            if (!T.IsFinite(T.CreateTruncating(scales is null ? d : d * scales[c])))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {row}, feature {c}: {source[c]} scaled by the model's feature scaling (offset {offsets[c]:R}) is beyond the range of {typeof(T).Name}."), name);
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
