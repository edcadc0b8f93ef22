using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// A dense layer's weights and bias packed once for <see cref="GemmFewRows"/>: column panels one
/// vector wide (at the width the kernels run at, <see cref="KernelSimd.VectorBits"/>), each panel
/// holding its columns for every input in turn, so a pass reads the panel front to back exactly
/// once; the last panel and the bias are padded with zeros.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class FewRowsWeights<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _panels;
    private readonly T[] _bias;

    /// <summary>Packs <paramref name="weights"/> (fan_in × fan_out, any stride) and <paramref name="bias"/> (fan_out). Nothing refers back to the sources.</summary>
    /// <param name="weights">W, so that a layer computes <c>x·W + b</c>.</param>
    /// <param name="bias">b, one per column of W.</param>
    /// <exception cref="ArgumentException">Empty weights, or a bias of another length.</exception>
    public FewRowsWeights(ReadOnlyMatrixSpan<T> weights, ReadOnlySpan<T> bias)
    {
        if (weights.Rows < 1 || weights.Columns < 1)
        {
            throw new ArgumentException($"Expected at least a 1×1 weight matrix, got {weights.Rows}×{weights.Columns}.", nameof(weights));
        }

        if (bias.Length != weights.Columns)
        {
            throw new ArgumentException($"Expected one bias per column ({weights.Columns}), got {bias.Length}.", nameof(bias));
        }

        Lanes = SimdWidth.Lanes<T>();
        FanIn = weights.Rows;
        FanOut = weights.Columns;
        Panels = (FanOut + Lanes - 1) / Lanes;
        _panels = new T[checked((long)Panels * Lanes * FanIn) <= Array.MaxLength ? Panels * Lanes * FanIn : throw new ArgumentException("The packed weights would not fit in an array.", nameof(weights))];
        _bias = new T[Panels * Lanes];
        bias.CopyTo(_bias);
        for (int p = 0; p < Panels; p++)
        {
            int first = p * Lanes;
            int width = Math.Min(Lanes, FanOut - first);
            Span<T> panel = _panels.AsSpan(p * Lanes * FanIn, Lanes * FanIn);
            for (int i = 0; i < FanIn; i++)
            {
                weights.Row(i).Slice(first, width).CopyTo(panel.Slice(i * Lanes, width));
            }
        }
    }

    /// <summary>Inputs of the layer (rows of W).</summary>
    public int FanIn { get; }

    /// <summary>Outputs of the layer (columns of W).</summary>
    public int FanOut { get; }

    /// <summary>Columns per panel: the lanes of one vector at the width chosen when packing (1 for scalar code).</summary>
    public int Lanes { get; }

    /// <summary>Number of column panels.</summary>
    public int Panels { get; }

    /// <summary>Bytes held (panels and padded bias).</summary>
    public long SizeInBytes => ((long)_panels.Length + _bias.Length) * Unsafe.SizeOf<T>();

    internal T[] PanelData => _panels;

    internal T[] BiasData => _bias;
}

/// <summary>
/// <c>Y = f(X·W + b)</c> for the rows of a prediction (the latency path): a matrix-vector product
/// generalised to blocks of rows, over weights packed once (<see cref="FewRowsWeights{T}"/>), with the
/// bias as the accumulators' starting value and the activation <c>f</c> applied in registers before
/// the store.
/// </summary>
/// <remarks>
/// <para>
/// Each output is one chain of multiply-adds in input order, <c>((b + x₀w₀) + x₁w₁) + …</c> (fused
/// where FMA is an instruction), whatever the number of rows and however rows and panels are
/// blocked, so a row's result does not depend on the other rows of the call. Against the packed GEMM
/// of the batch path (bias added after the sum, sums blocked differently) the difference is within
/// the usual bound <c>γₙ·(|b| + Σᵢ |xᵢ·wᵢ|)</c>, <c>γₙ = (n + 1)·u</c> each.
/// </para>
/// <para>
/// Blocking: one row runs eight panels at a time (eight independent chains, so the multiply-add
/// latency is hidden and each weight is read once per call); two rows four panels; blocks of four
/// rows four panels where the CPU has 32 vector registers (AVX-512) and the layer has more than two
/// panels, two elsewhere, so each weight is read once per block of four rows. A block short of panels or rows repeats its last panel or row
/// (reads that hit the cache) and stores only the real ones. Nothing in the inner loops is a call, so
/// the accumulators stay in registers.
/// </para>
/// </remarks>
public static class GemmFewRows
{
    /// <summary>Rows that share one read of the weights (one register block).</summary>
    public const int MaxRows = 4;

    /// <summary>Writes <c>Y = X·W + b</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="x">Rows of <see cref="FewRowsWeights{T}.FanIn"/> inputs, any stride.</param>
    /// <param name="weights">The packed layer.</param>
    /// <param name="y">Rows × <see cref="FewRowsWeights{T}.FanOut"/>, any stride; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">Shapes that do not match, overlapping X and Y, or weights packed at another vector width.</exception>
    public static void Multiply<T>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => Multiply(x, weights, y, ActivationFunction.Identity);

    /// <summary>Writes <c>Y = f(X·W + b)</c>, the activation applied to each output before it is stored.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="x">Rows of <see cref="FewRowsWeights{T}.FanIn"/> inputs, any stride.</param>
    /// <param name="weights">The packed layer.</param>
    /// <param name="y">Rows × <see cref="FewRowsWeights{T}.FanOut"/>, any stride; must not overlap <paramref name="x"/>.</param>
    /// <param name="activation">f.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">Shapes that do not match, overlapping X and Y, or weights packed at another vector width.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    public static void Multiply<T>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, ActivationFunction activation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        CheckRows(x, weights.FanIn, "the layer's inputs", y, weights.FanOut);
        if (weights.Lanes != SimdWidth.Lanes<T>())
        {
            throw new ArgumentException($"The weights were packed for {weights.Lanes} lanes; the kernels now run with {SimdWidth.Lanes<T>()}.", nameof(weights));
        }

        switch (activation)
        {
            case ActivationFunction.Identity:
                Run<T, IdentityOperator<T>>(x, weights, y);
                break;
            case ActivationFunction.Relu:
                Run<T, Activations.ReluOperator<T>>(x, weights, y);
                break;
            case ActivationFunction.Sigmoid:
                Run<T, Activations.SigmoidOperator<T>>(x, weights, y);
                break;
            case ActivationFunction.Tanh:
                Run<T, Activations.TanhOperator<T>>(x, weights, y);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected None, Relu, Sigmoid or Tanh.");
        }
    }

    /// <summary>X has <paramref name="fanIn"/> columns, Y is rows(X) × <paramref name="fanOut"/>, and they do not overlap.</summary>
    private static void CheckRows<T>(ReadOnlyMatrixSpan<T> x, int fanIn, string inputs, MatrixSpan<T> y, int fanOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Columns != fanIn)
        {
            throw new ArgumentException($"Expected {fanIn} columns ({inputs}), got {x.Columns}.", nameof(x));
        }

        if (y.Rows != x.Rows || y.Columns != fanOut)
        {
            throw new ArgumentException($"Expected a {x.Rows}×{fanOut} destination, got {y.Rows}×{y.Columns}.", nameof(y));
        }

        if (!x.IsEmpty && !y.IsEmpty && x.Span.Overlaps(y.Span))
        {
            throw new ArgumentException("The destination overlaps the input.", nameof(y));
        }
    }

    /// <summary>The widest layer (inputs or outputs) <see cref="MultiplyChain{T}"/> takes.</summary>
    public const int MaxChainWidth = 64;

    /// <summary>
    /// A whole small network in one pass: <c>Y = Lₙ(f(… f(L₀(X))))</c> with <c>Lₗ(a) = a·Wₗ + bₗ</c>, the
    /// hidden activation f after every layer but the last, bit-identical to calling
    /// <see cref="Multiply{T}(ReadOnlyMatrixSpan{T}, FewRowsWeights{T}, MatrixSpan{T}, ActivationFunction)"/>
    /// layer by layer, but with no intermediate matrix: a block of rows one vector long is held
    /// transposed on the stack (a feature's values for the block's rows in one vector), so each
    /// multiply-add serves a whole vector of rows whatever the layer's width, and narrow layers (e.g. a
    /// handful of classes) waste no lanes.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="x">Rows of the first layer's <see cref="FewRowsWeights{T}.FanIn"/> inputs, any stride.</param>
    /// <param name="layers">The packed layers, in order, each taking the previous one's outputs; every fan-in and fan-out at most <see cref="MaxChainWidth"/>.</param>
    /// <param name="hidden">f, applied after every layer but the last.</param>
    /// <param name="y">Rows × the last layer's <see cref="FewRowsWeights{T}.FanOut"/>, any stride; must not overlap <paramref name="x"/>.</param>
    /// <remarks>
    /// Each output is the same chain of multiply-adds in input order as in <c>Multiply</c>, from the
    /// same bias, through the same activation vectors, and every intermediate value is rounded to
    /// <typeparamref name="T"/> as it is between two <c>Multiply</c> calls, so the bits are those of the
    /// layer-by-layer calls (tested). The rows of a last, partial block are computed beside zero rows.
    /// Allocates nothing (at most 2·(<see cref="MaxChainWidth"/> + 8) vectors of stack).
    /// </remarks>
    /// <exception cref="ArgumentException">No layers, a null layer, a layer wider than <see cref="MaxChainWidth"/>, layers that do not chain, shapes that do not match, overlapping X and Y, or weights packed at another vector width.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hidden"/> is not a defined value.</exception>
    public static void MultiplyChain<T>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<FewRowsWeights<T>> layers, ActivationFunction hidden, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckChain(x, layers, y);
        Chain(x, default, default, layers, hidden, false, y);
    }

    /// <summary>
    /// <see cref="MultiplyChain{T}"/> from raw features, with the feature shift and the softmax fused
    /// into the pass: the first layer sees <c>x′ᵢ = T((double(xᵢ) − offsetsᵢ) · scalesᵢ)</c> (in double,
    /// rounded once; no product when <paramref name="scales"/> is empty, and x as it is when
    /// <paramref name="offsets"/> is empty too), and, when <paramref name="softmax"/> is set, Y receives
    /// the softmax of each row of the last layer's outputs instead of the outputs. The shift and the
    /// softmax run on a block's rows held in the vector lanes, so neither takes a pass of its own.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="x">Rows of the first layer's <see cref="FewRowsWeights{T}.FanIn"/> raw features, any stride; not modified.</param>
    /// <param name="offsets">One offset per feature, or empty for none.</param>
    /// <param name="scales">One factor per feature, or empty for none (only with <paramref name="offsets"/>).</param>
    /// <param name="layers">As in <see cref="MultiplyChain{T}"/>.</param>
    /// <param name="hidden">f, applied after every layer but the last.</param>
    /// <param name="softmax">Whether Y receives the softmax of the last layer's outputs (else the outputs).</param>
    /// <param name="y">Rows × the last layer's <see cref="FewRowsWeights{T}.FanOut"/>, any stride; must not overlap <paramref name="x"/>.</param>
    /// <returns>
    /// False when a shifted feature is not finite (a NaN or ±∞ feature, or one the shift takes beyond
    /// the range of <typeparamref name="T"/>); Y then holds unspecified values. Always true when
    /// <paramref name="offsets"/> is empty (the features are not checked then).
    /// </returns>
    /// <remarks>
    /// The shifted features are those of a separate shift pass bit for bit, and the logits those of
    /// <see cref="MultiplyChain{T}"/> on them. The softmax of a row is
    /// <c>pⱼ = e^(zⱼ − m) · (1 / Σₖ e^(zₖ − m))</c>, m the row's largest logit, the sum taken in class
    /// order, e^ the vector exponential of the width the kernels run at: the operations of
    /// <see cref="Softmax.Forward{T}"/>'s rows narrower than a vector, in the same order, and within a
    /// few ulp of each of its probabilities (the vector exponential computes a whole vector with the
    /// scalar one when any lane is beyond its fast range, e.g. a logit hundreds below the row's
    /// largest, so a lane's bits depend on its neighbours: here other rows, there other classes).
    /// </remarks>
    /// <exception cref="ArgumentException">As <see cref="MultiplyChain{T}"/>, or offsets or scales neither empty nor one per feature, or scales without offsets.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hidden"/> is not a defined value.</exception>
    public static bool TryMultiplyChain<T>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales, ReadOnlySpan<FewRowsWeights<T>> layers, ActivationFunction hidden, bool softmax, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckChain(x, layers, y);
        if (!offsets.IsEmpty && offsets.Length != x.Columns)
        {
            throw new ArgumentException($"Expected no offsets or one per feature ({x.Columns}), got {offsets.Length}.", nameof(offsets));
        }

        if (!scales.IsEmpty && scales.Length != offsets.Length)
        {
            throw new ArgumentException($"Expected no scales or one per offset ({offsets.Length}), got {scales.Length}.", nameof(scales));
        }

        return Chain(x, offsets, scales, layers, hidden, softmax, y);
    }

    private static void CheckChain<T>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<FewRowsWeights<T>> layers, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (layers.IsEmpty)
        {
            throw new ArgumentException("Expected at least one layer.", nameof(layers));
        }

        int lanes = SimdWidth.Lanes<T>();
        for (int l = 0; l < layers.Length; l++)
        {
            FewRowsWeights<T> layer = layers[l] ?? throw new ArgumentException($"Layer {l} is null.", nameof(layers));
            if (layer.FanIn > MaxChainWidth || layer.FanOut > MaxChainWidth)
            {
                throw new ArgumentException($"Layer {l} is {layer.FanIn}×{layer.FanOut}; the chain takes layers of at most {MaxChainWidth} inputs and outputs.", nameof(layers));
            }

            if (l > 0 && layer.FanIn != layers[l - 1].FanOut)
            {
                throw new ArgumentException($"Layer {l} takes {layer.FanIn} inputs but layer {l - 1} gives {layers[l - 1].FanOut}.", nameof(layers));
            }

            if (layer.Lanes != lanes)
            {
                throw new ArgumentException($"Layer {l} was packed for {layer.Lanes} lanes; the kernels now run with {lanes}.", nameof(layers));
            }
        }

        CheckRows(x, layers[0].FanIn, "the first layer's inputs", y, layers[^1].FanOut);
    }

    private static bool Chain<T>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales, ReadOnlySpan<FewRowsWeights<T>> layers, ActivationFunction hidden, bool softmax, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => hidden switch
        {
            ActivationFunction.Identity => Chain<T, IdentityOperator<T>>(x, offsets, scales, layers, softmax, y),
            ActivationFunction.Relu => Chain<T, Activations.ReluOperator<T>>(x, offsets, scales, layers, softmax, y),
            ActivationFunction.Sigmoid => Chain<T, Activations.SigmoidOperator<T>>(x, offsets, scales, layers, softmax, y),
            ActivationFunction.Tanh => Chain<T, Activations.TanhOperator<T>>(x, offsets, scales, layers, softmax, y),
            _ => throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "Expected None, Relu, Sigmoid or Tanh."),
        };

    private static bool Chain<T, TOp>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales, ReadOnlySpan<FewRowsWeights<T>> layers, bool softmax, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        if (x.Rows == 0)
        {
            return true;
        }

        int lanes = layers[0].Lanes;
        if (lanes > 1)
        {
            if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && lanes == Vector512<T>.Count)
            {
                return ChainVectors<T, Vector512<T>, Simd512<T>, TOp>(x, offsets, scales, layers, softmax, y);
            }

            if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && lanes == Vector256<T>.Count)
            {
                return ChainVectors<T, Vector256<T>, Simd256<T>, TOp>(x, offsets, scales, layers, softmax, y);
            }

            return ChainVectors<T, Vector128<T>, Simd128<T>, TOp>(x, offsets, scales, layers, softmax, y);
        }

        return ChainScalar<T, TOp>(x, offsets, scales, layers, softmax, y);
    }

    /// <summary>Scalar code: one row at a time through two stack rows, with Scalar's operations.</summary>
    [SkipLocalsInit]
    private static bool ChainScalar<T, TOp>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales, ReadOnlySpan<FewRowsWeights<T>> layers, bool softmax, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        Span<T> a = stackalloc T[MaxChainWidth];
        Span<T> b = stackalloc T[MaxChainWidth];
        TOp op = default;
        int last = layers.Length - 1;
        bool finite = true;
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<T> row = x.Row(r);
            if (offsets.IsEmpty)
            {
                row.CopyTo(a);
            }
            else
            {
                for (int i = 0; i < row.Length; i++)
                {
                    double d = double.CreateTruncating(row[i]) - offsets[i];
                    a[i] = T.CreateTruncating(scales.IsEmpty ? d : d * scales[i]);
                    finite &= T.IsFinite(a[i]);
                }
            }

            for (int l = 0; l <= last; l++)
            {
                FewRowsWeights<T> layer = layers[l];
                int n = layer.FanIn;
                Span<T> output = l == last ? y.Row(r) : b;
                for (int j = 0; j < layer.FanOut; j++)
                {
                    ReadOnlySpan<T> w = layer.PanelData.AsSpan(j * n, n);
                    T acc = layer.BiasData[j];
                    for (int i = 0; i < n; i++)
                    {
                        acc = SimdWidth.Fused ? T.FusedMultiplyAdd(a[i], w[i], acc) : (a[i] * w[i]) + acc;
                    }

                    output[j] = l == last ? acc : op.Invoke(acc);
                }

                Span<T> swap = a;
                a = b;
                b = swap;
            }

            if (softmax)
            {
                Span<T> z = y.Row(r);
                T m = z[0];
                for (int j = 1; j < z.Length; j++)
                {
                    m = T.MaxNative(m, z[j]);
                }

                T sum = T.Zero;
                for (int j = 0; j < z.Length; j++)
                {
                    z[j] = T.Exp(z[j] - m);
                    sum += z[j];
                }

                T scale = T.One / sum;
                for (int j = 0; j < z.Length; j++)
                {
                    z[j] *= scale;
                }
            }
        }

        return finite;
    }

    /// <summary>
    /// Blocks of one or two vectors of rows, held transposed in two stack buffers (inputs, outputs)
    /// that swap per layer: feature (or output) i of the block's row r at [i·block + r]. Rows of a
    /// last, partial block past the real ones repeat its last row and are never stored.
    /// </summary>
    [SkipLocalsInit]
    private static bool ChainVectors<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales, ReadOnlySpan<FewRowsWeights<T>> layers, bool softmax, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        // Two vectors of rows per block where the CPU has 32 vector registers (sixteen accumulators), one elsewhere.
        int lanes = Avx512F.IsSupported ? 2 * TW.Count : TW.Count;

        // Room for eight more outputs than the widest layer: a group of eight past a layer's last column writes there.
        // Every step below is a method of its own, never inlined: inlined into this one large method they
        // made the whole call 1.6× slower (20-32-5 × 256 rows, float, Zen 5: 9.0 against 5.6 µs), the
        // JIT's register allocation over so many locals spilling the loops' values.
        int length = (MaxChainWidth + 8) * lanes;
        Span<T> first = stackalloc T[length];
        Span<T> second = stackalloc T[length];
        int last = layers.Length - 1;
        TV check = TW.Zero;
        for (int r0 = 0; r0 < x.Rows; r0 += lanes)
        {
            int count = Math.Min(lanes, x.Rows - r0);

            // A last block of at most one vector of rows runs one vector wide.
            int block = count <= TW.Count ? TW.Count : lanes;
            ref T target = ref MemoryMarshal.GetReference(first);
            LoadBlock<T, TV, TW>(x, r0, count, block, ref target);
            if (!offsets.IsEmpty)
            {
                check = TW.Add(check, ShiftBlock<T, TV, TW>(ref target, block, offsets, scales));
            }

            Span<T> input = first, output = second;
            for (int l = 0; l <= last; l++)
            {
                FewRowsWeights<T> layer = layers[l];
                for (int j = 0; j < layer.FanOut; j += 8)
                {
                    if (block > TW.Count)
                    {
                        if (l < last)
                        {
                            ChainEightByTwo<T, TV, TW, TOp>(ref MemoryMarshal.GetReference(input), layer, j, ref MemoryMarshal.GetReference(output));
                        }
                        else
                        {
                            ChainEightByTwo<T, TV, TW, IdentityOperator<T>>(ref MemoryMarshal.GetReference(input), layer, j, ref MemoryMarshal.GetReference(output));
                        }
                    }
                    else if (l < last)
                    {
                        ChainEight<T, TV, TW, TOp>(ref MemoryMarshal.GetReference(input), layer, j, ref MemoryMarshal.GetReference(output));
                    }
                    else
                    {
                        ChainEight<T, TV, TW, IdentityOperator<T>>(ref MemoryMarshal.GetReference(input), layer, j, ref MemoryMarshal.GetReference(output));
                    }
                }

                Span<T> swap = input;
                input = output;
                output = swap;
            }

            int outputs = y.Columns;
            ref T source = ref MemoryMarshal.GetReference(input);
            if (softmax)
            {
                for (int h = 0; h < block; h += TW.Count)
                {
                    SoftmaxLanes<T, TV, TW>(ref Unsafe.Add(ref source, h), block, outputs);
                }
            }

            StoreBlock(ref source, block, y, r0, count);
        }

        // Every lane of check is 0, or NaN once a shifted feature was not finite.
        return !T.IsNaN(TW.Sum(check));
    }

    /// <summary>
    /// Rows [<paramref name="r0"/>, r0 + <paramref name="count"/>) of X, transposed into
    /// <paramref name="target"/>: feature i of the block's row r at [i·<paramref name="block"/> + r];
    /// rows [count, block) repeat row count − 1. Sixteen floats by sixteen rows at a time in registers
    /// at 512 bits (a 16×16 transpose: 64 shuffles for 256 values), eight by eight at 256 bits, one
    /// value at a time elsewhere (double, 128 bits, fewer features than a vector's lanes).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadBlock<T, TV, TW>(ReadOnlyMatrixSpan<T> x, int r0, int count, int block, ref T target)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int inputs = x.Columns;
        ref T origin = ref Unsafe.Add(ref MemoryMarshal.GetReference(x.Span), (nint)r0 * x.Stride);
        if (typeof(TV) == typeof(Vector512<float>) && Avx512F.IsSupported && inputs >= 16)
        {
            // Feature groups of sixteen; the last one overlaps the one before when inputs is not a multiple of 16.
            for (int h = 0; h < block; h += 16)
            {
                for (int c = 0; c < inputs; c += 16)
                {
                    Transpose16(ref Unsafe.As<T, float>(ref origin), x.Stride, h, count, Math.Min(c, inputs - 16), ref Unsafe.As<T, float>(ref target), block);
                }
            }

            return;
        }

        if (typeof(TV) == typeof(Vector256<float>) && Avx.IsSupported && inputs >= 8)
        {
            for (int h = 0; h < block; h += 8)
            {
                for (int c = 0; c < inputs; c += 8)
                {
                    Transpose8(ref Unsafe.As<T, float>(ref origin), x.Stride, h, count, Math.Min(c, inputs - 8), ref Unsafe.As<T, float>(ref target), block);
                }
            }

            return;
        }

        for (int r = 0; r < block; r++)
        {
            ref T row = ref Unsafe.Add(ref origin, (nint)Math.Min(r, count - 1) * x.Stride);
            for (int i = 0; i < inputs; i++)
            {
                Unsafe.Add(ref target, (i * block) + r) = Unsafe.Add(ref row, i);
            }
        }
    }

    /// <summary>The block's last-layer values (feature j of row r at [j·<paramref name="block"/> + r]) transposed back into rows [r0, r0 + count) of Y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreBlock<T>(ref T source, int block, MatrixSpan<T> y, int r0, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outputs = y.Columns;
        for (int r = 0; r < count; r++)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(y.Span), (nint)(r0 + r) * y.Stride);
            for (int j = 0; j < outputs; j++)
            {
                Unsafe.Add(ref row, j) = Unsafe.Add(ref source, (j * block) + r);
            }
        }
    }

    /// <summary>Row <paramref name="row"/> (clamped to <paramref name="count"/> − 1) of the block, columns c0 … c0 + 15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadRow(ref float origin, int stride, int row, int count, int c0) =>
        Vector512.LoadUnsafe(ref origin, (nuint)(((nint)Math.Min(row, count - 1) * stride) + c0));

    /// <summary>Rows h … h + 15 (clamped to <paramref name="count"/> − 1), columns c0 … c0 + 15, stored as column c0 + f's sixteen rows at [(c0 + f)·block + h].</summary>
    private static void Transpose16(ref float origin, int stride, int h, int count, int c0, ref float target, int block)
    {
        // Pairs of rows interleaved within each 128-bit lane, then pairs of pairs: u0 … u3 hold, in
        // lane l, column 4l … 4l + 3 of rows 0 … 3 (u4 … u7 rows 4 … 7, and so on).
        Vector512<float> t0 = LoadRow(ref origin, stride, h, count, c0), t1 = LoadRow(ref origin, stride, h + 1, count, c0);
        Vector512<float> a0 = Avx512F.UnpackLow(t0, t1), a1 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 2, count, c0);
        t1 = LoadRow(ref origin, stride, h + 3, count, c0);
        Vector512<float> a2 = Avx512F.UnpackLow(t0, t1), a3 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 4, count, c0);
        t1 = LoadRow(ref origin, stride, h + 5, count, c0);
        Vector512<float> a4 = Avx512F.UnpackLow(t0, t1), a5 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 6, count, c0);
        t1 = LoadRow(ref origin, stride, h + 7, count, c0);
        Vector512<float> a6 = Avx512F.UnpackLow(t0, t1), a7 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 8, count, c0);
        t1 = LoadRow(ref origin, stride, h + 9, count, c0);
        Vector512<float> a8 = Avx512F.UnpackLow(t0, t1), a9 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 10, count, c0);
        t1 = LoadRow(ref origin, stride, h + 11, count, c0);
        Vector512<float> a10 = Avx512F.UnpackLow(t0, t1), a11 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 12, count, c0);
        t1 = LoadRow(ref origin, stride, h + 13, count, c0);
        Vector512<float> a12 = Avx512F.UnpackLow(t0, t1), a13 = Avx512F.UnpackHigh(t0, t1);
        t0 = LoadRow(ref origin, stride, h + 14, count, c0);
        t1 = LoadRow(ref origin, stride, h + 15, count, c0);
        Vector512<float> a14 = Avx512F.UnpackLow(t0, t1), a15 = Avx512F.UnpackHigh(t0, t1);

        Vector512<float> u0 = PairLow(a0, a2), u1 = PairHigh(a0, a2), u2 = PairLow(a1, a3), u3 = PairHigh(a1, a3);
        Vector512<float> u4 = PairLow(a4, a6), u5 = PairHigh(a4, a6), u6 = PairLow(a5, a7), u7 = PairHigh(a5, a7);
        Vector512<float> u8 = PairLow(a8, a10), u9 = PairHigh(a8, a10), u10 = PairLow(a9, a11), u11 = PairHigh(a9, a11);
        Vector512<float> u12 = PairLow(a12, a14), u13 = PairHigh(a12, a14), u14 = PairLow(a13, a15), u15 = PairHigh(a13, a15);

        // 128-bit lanes: v0 = [col 0 rows 0–3, col 8 rows 0–3, col 0 rows 4–7, col 8 rows 4–7], v4 the same for columns 4 and 12.
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        Vector512<float> v1 = Avx512F.Shuffle4x128(u1, u5, 0x88), v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        Vector512<float> v3 = Avx512F.Shuffle4x128(u3, u7, 0x88), v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        Vector512<float> v8 = Avx512F.Shuffle4x128(u8, u12, 0x88), v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        Vector512<float> v9 = Avx512F.Shuffle4x128(u9, u13, 0x88), v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Vector512<float> v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        Vector512<float> v11 = Avx512F.Shuffle4x128(u11, u15, 0x88), v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        ref float column = ref Unsafe.Add(ref target, (c0 * block) + h);
        nuint step = (nuint)block;
        Avx512F.Shuffle4x128(v0, v8, 0x88).StoreUnsafe(ref column, 0);
        Avx512F.Shuffle4x128(v1, v9, 0x88).StoreUnsafe(ref column, step);
        Avx512F.Shuffle4x128(v2, v10, 0x88).StoreUnsafe(ref column, 2 * step);
        Avx512F.Shuffle4x128(v3, v11, 0x88).StoreUnsafe(ref column, 3 * step);
        Avx512F.Shuffle4x128(v4, v12, 0x88).StoreUnsafe(ref column, 4 * step);
        Avx512F.Shuffle4x128(v5, v13, 0x88).StoreUnsafe(ref column, 5 * step);
        Avx512F.Shuffle4x128(v6, v14, 0x88).StoreUnsafe(ref column, 6 * step);
        Avx512F.Shuffle4x128(v7, v15, 0x88).StoreUnsafe(ref column, 7 * step);
        Avx512F.Shuffle4x128(v0, v8, 0xDD).StoreUnsafe(ref column, 8 * step);
        Avx512F.Shuffle4x128(v1, v9, 0xDD).StoreUnsafe(ref column, 9 * step);
        Avx512F.Shuffle4x128(v2, v10, 0xDD).StoreUnsafe(ref column, 10 * step);
        Avx512F.Shuffle4x128(v3, v11, 0xDD).StoreUnsafe(ref column, 11 * step);
        Avx512F.Shuffle4x128(v4, v12, 0xDD).StoreUnsafe(ref column, 12 * step);
        Avx512F.Shuffle4x128(v5, v13, 0xDD).StoreUnsafe(ref column, 13 * step);
        Avx512F.Shuffle4x128(v6, v14, 0xDD).StoreUnsafe(ref column, 14 * step);
        Avx512F.Shuffle4x128(v7, v15, 0xDD).StoreUnsafe(ref column, 15 * step);
    }

    /// <summary>Row <paramref name="row"/> (clamped to <paramref name="count"/> − 1) of the block, columns c0 … c0 + 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRow8(ref float origin, int stride, int row, int count, int c0) =>
        Vector256.LoadUnsafe(ref origin, (nuint)(((nint)Math.Min(row, count - 1) * stride) + c0));

    /// <summary>As <see cref="Transpose16"/> for eight rows and eight columns of 256-bit vectors (24 shuffles for 64 values).</summary>
    private static void Transpose8(ref float origin, int stride, int h, int count, int c0, ref float target, int block)
    {
        Vector256<float> r0 = LoadRow8(ref origin, stride, h, count, c0), r1 = LoadRow8(ref origin, stride, h + 1, count, c0);
        Vector256<float> r2 = LoadRow8(ref origin, stride, h + 2, count, c0), r3 = LoadRow8(ref origin, stride, h + 3, count, c0);
        Vector256<float> r4 = LoadRow8(ref origin, stride, h + 4, count, c0), r5 = LoadRow8(ref origin, stride, h + 5, count, c0);
        Vector256<float> r6 = LoadRow8(ref origin, stride, h + 6, count, c0), r7 = LoadRow8(ref origin, stride, h + 7, count, c0);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        // In 128-bit lane l: u0 … u3 hold column 4l … 4l + 3 of rows 0 … 3, u4 … u7 of rows 4 … 7.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        ref float column = ref Unsafe.Add(ref target, (c0 * block) + h);
        nuint step = (nuint)block;
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref column, 0);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref column, step);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref column, 2 * step);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref column, 3 * step);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref column, 4 * step);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref column, 5 * step);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref column, 6 * step);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref column, 7 * step);
    }

    /// <summary>The low 64-bit halves of each 128-bit lane of a and b, interleaved (unpcklpd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairLow(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>The high 64-bit halves of each 128-bit lane of a and b, interleaved (unpckhpd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairHigh(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>
    /// Shifts a block's transposed features in place, <c>T((double(v) − offsetᵢ) · scaleᵢ)</c> (the
    /// operations of <c>InferenceNetwork.ShiftRow</c>, lane by lane); returns the sum of <c>v − v</c>
    /// over the shifted values: 0 in every lane while they are finite, NaN once one is not.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TV ShiftBlock<T, TV, TW>(ref T target, int block, ReadOnlySpan<double> offsets, ReadOnlySpan<double> scales)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        TV check = TW.Zero;
        bool scaled = !scales.IsEmpty;
        for (int i = 0; i < offsets.Length; i++)
        {
            double offset = offsets[i];
            double scale = scaled ? scales[i] : 1;
            for (int h = 0; h < block; h += TW.Count)
            {
                nuint at = (nuint)((i * block) + h);
                TV v = Shift<T, TV, TW>(TW.Load(ref target, at), offset, scale, scaled);
                TW.Store(v, ref target, at);
                check = TW.Add(check, TW.Subtract(v, v));
            }
        }

        return check;
    }

    /// <summary><c>T((double(v) − offset) · scale)</c> lane by lane (no product unless <paramref name="scaled"/>), in double, rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Shift<T, TV, TW>(TV v, double offset, double scale, bool scaled)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        if (typeof(T) == typeof(double))
        {
            TV d = TW.Subtract(v, TW.Create(T.CreateTruncating(offset)));
            return scaled ? TW.Multiply(d, TW.Create(T.CreateTruncating(scale))) : d;
        }

        if (typeof(TV) == typeof(Vector512<float>))
        {
            (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(Unsafe.As<TV, Vector512<float>>(ref v));
            lower -= Vector512.Create(offset);
            upper -= Vector512.Create(offset);
            if (scaled)
            {
                lower *= Vector512.Create(scale);
                upper *= Vector512.Create(scale);
            }

            Vector512<float> narrowed = Vector512.Narrow(lower, upper);
            return Unsafe.As<Vector512<float>, TV>(ref narrowed);
        }

        if (typeof(TV) == typeof(Vector256<float>))
        {
            (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Unsafe.As<TV, Vector256<float>>(ref v));
            lower -= Vector256.Create(offset);
            upper -= Vector256.Create(offset);
            if (scaled)
            {
                lower *= Vector256.Create(scale);
                upper *= Vector256.Create(scale);
            }

            Vector256<float> narrowed = Vector256.Narrow(lower, upper);
            return Unsafe.As<Vector256<float>, TV>(ref narrowed);
        }

        (Vector128<double> low, Vector128<double> high) = Vector128.Widen(Unsafe.As<TV, Vector128<float>>(ref v));
        low -= Vector128.Create(offset);
        high -= Vector128.Create(offset);
        if (scaled)
        {
            low *= Vector128.Create(scale);
            high *= Vector128.Create(scale);
        }

        Vector128<float> narrow = Vector128.Narrow(low, high);
        return Unsafe.As<Vector128<float>, TV>(ref narrow);
    }

    /// <summary>
    /// The softmax of one vector of rows in place: <paramref name="n"/> vectors, class j's at
    /// [j·<paramref name="block"/>], each lane a row. The operations of Softmax's narrow rows in the
    /// same order (max by MaxNative from class 0, <c>e^(z − m)</c>, the sum in class order from zero,
    /// one division, a product per class), lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SoftmaxLanes<T, TV, TW>(ref T z, int block, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint step = (nuint)block;
        TV max = TW.Load(ref z, 0);
        for (int j = 1; j < n; j++)
        {
            max = TW.MaxNative(max, TW.Load(ref z, (nuint)j * step));
        }

        TV sum = TW.Zero;
        for (int j = 0; j < n; j++)
        {
            TV e = TW.Exp(TW.Subtract(TW.Load(ref z, (nuint)j * step), max));
            TW.Store(e, ref z, (nuint)j * step);
            sum = TW.Add(sum, e);
        }

        TV scale = TW.Divide(TW.One, sum);
        for (int j = 0; j < n; j++)
        {
            TW.Store(TW.Multiply(TW.Load(ref z, (nuint)j * step), scale), ref z, (nuint)j * step);
        }
    }

    /// <summary>
    /// Outputs j … j + 7 of one layer for a block of rows: eight chains (bias, then x·w in input
    /// order), the activation, stored transposed. Outputs past the layer's last repeat it (never read).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ChainEight<T, TV, TW, TOp>(ref T input, FewRowsWeights<T> layer, int j, ref T output)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        int n = layer.FanIn;
        int lastColumn = layer.FanOut - 1;
        ref T panels = ref MemoryMarshal.GetArrayDataReference(layer.PanelData);
        ref T bias = ref MemoryMarshal.GetArrayDataReference(layer.BiasData);
        ref T w0 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j, lastColumn));
        ref T w1 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 1, lastColumn));
        ref T w2 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 2, lastColumn));
        ref T w3 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 3, lastColumn));
        ref T w4 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 4, lastColumn));
        ref T w5 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 5, lastColumn));
        ref T w6 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 6, lastColumn));
        ref T w7 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 7, lastColumn));
        TV a0 = TW.Create(Unsafe.Add(ref bias, Math.Min(j, lastColumn)));
        TV a1 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 1, lastColumn)));
        TV a2 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 2, lastColumn)));
        TV a3 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 3, lastColumn)));
        TV a4 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 4, lastColumn)));
        TV a5 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 5, lastColumn)));
        TV a6 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 6, lastColumn)));
        TV a7 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 7, lastColumn)));
        for (nuint i = 0, k = 0, e = 0; i < (nuint)n; i++, k += lanes, e += lanes)
        {
            TV v = TW.Load(ref input, e);
            a0 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w0, k)), a0);
            a1 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w1, k)), a1);
            a2 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w2, k)), a2);
            a3 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w3, k)), a3);
            a4 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w4, k)), a4);
            a5 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w5, k)), a5);
            a6 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w6, k)), a6);
            a7 = TW.MultiplyAdd(v, TW.Create(Unsafe.Add(ref w7, k)), a7);
        }

        TOp op = default;
        nuint o = (nuint)j * lanes;
        TW.Store(TW.Apply(op, a0), ref output, o);
        TW.Store(TW.Apply(op, a1), ref output, o + lanes);
        TW.Store(TW.Apply(op, a2), ref output, o + (2 * lanes));
        TW.Store(TW.Apply(op, a3), ref output, o + (3 * lanes));
        TW.Store(TW.Apply(op, a4), ref output, o + (4 * lanes));
        TW.Store(TW.Apply(op, a5), ref output, o + (5 * lanes));
        TW.Store(TW.Apply(op, a6), ref output, o + (6 * lanes));
        TW.Store(TW.Apply(op, a7), ref output, o + (7 * lanes));
    }

    /// <summary>As <see cref="ChainEight{T, TV, TW, TOp}"/> for a block of two vectors of rows: sixteen chains, each weight broadcast once for both.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChainEightByTwo<T, TV, TW, TOp>(ref T input, FewRowsWeights<T> layer, int j, ref T output)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        nuint block = 2 * lanes;
        nuint stride = (nuint)layer.Lanes;
        int n = layer.FanIn;
        int lastColumn = layer.FanOut - 1;
        ref T panels = ref MemoryMarshal.GetArrayDataReference(layer.PanelData);
        ref T bias = ref MemoryMarshal.GetArrayDataReference(layer.BiasData);
        ref T w0 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j, lastColumn));
        ref T w1 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 1, lastColumn));
        ref T w2 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 2, lastColumn));
        ref T w3 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 3, lastColumn));
        ref T w4 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 4, lastColumn));
        ref T w5 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 5, lastColumn));
        ref T w6 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 6, lastColumn));
        ref T w7 = ref Weight<T, TV, TW>(ref panels, layer, Math.Min(j + 7, lastColumn));
        TV a0 = TW.Create(Unsafe.Add(ref bias, Math.Min(j, lastColumn)));
        TV a1 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 1, lastColumn)));
        TV a2 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 2, lastColumn)));
        TV a3 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 3, lastColumn)));
        TV a4 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 4, lastColumn)));
        TV a5 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 5, lastColumn)));
        TV a6 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 6, lastColumn)));
        TV a7 = TW.Create(Unsafe.Add(ref bias, Math.Min(j + 7, lastColumn)));
        TV b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
        for (nuint i = 0, k = 0, e = 0; i < (nuint)n; i++, k += stride, e += block)
        {
            TV v = TW.Load(ref input, e);
            TV u = TW.Load(ref input, e + lanes);
            TV c = TW.Create(Unsafe.Add(ref w0, k));
            a0 = TW.MultiplyAdd(v, c, a0);
            b0 = TW.MultiplyAdd(u, c, b0);
            c = TW.Create(Unsafe.Add(ref w1, k));
            a1 = TW.MultiplyAdd(v, c, a1);
            b1 = TW.MultiplyAdd(u, c, b1);
            c = TW.Create(Unsafe.Add(ref w2, k));
            a2 = TW.MultiplyAdd(v, c, a2);
            b2 = TW.MultiplyAdd(u, c, b2);
            c = TW.Create(Unsafe.Add(ref w3, k));
            a3 = TW.MultiplyAdd(v, c, a3);
            b3 = TW.MultiplyAdd(u, c, b3);
            c = TW.Create(Unsafe.Add(ref w4, k));
            a4 = TW.MultiplyAdd(v, c, a4);
            b4 = TW.MultiplyAdd(u, c, b4);
            c = TW.Create(Unsafe.Add(ref w5, k));
            a5 = TW.MultiplyAdd(v, c, a5);
            b5 = TW.MultiplyAdd(u, c, b5);
            c = TW.Create(Unsafe.Add(ref w6, k));
            a6 = TW.MultiplyAdd(v, c, a6);
            b6 = TW.MultiplyAdd(u, c, b6);
            c = TW.Create(Unsafe.Add(ref w7, k));
            a7 = TW.MultiplyAdd(v, c, a7);
            b7 = TW.MultiplyAdd(u, c, b7);
        }

        TOp op = default;
        nuint o = (nuint)j * block;
        TW.Store(TW.Apply(op, a0), ref output, o);
        TW.Store(TW.Apply(op, b0), ref output, o + lanes);
        TW.Store(TW.Apply(op, a1), ref output, o + block);
        TW.Store(TW.Apply(op, b1), ref output, o + block + lanes);
        TW.Store(TW.Apply(op, a2), ref output, o + (2 * block));
        TW.Store(TW.Apply(op, b2), ref output, o + (2 * block) + lanes);
        TW.Store(TW.Apply(op, a3), ref output, o + (3 * block));
        TW.Store(TW.Apply(op, b3), ref output, o + (3 * block) + lanes);
        TW.Store(TW.Apply(op, a4), ref output, o + (4 * block));
        TW.Store(TW.Apply(op, b4), ref output, o + (4 * block) + lanes);
        TW.Store(TW.Apply(op, a5), ref output, o + (5 * block));
        TW.Store(TW.Apply(op, b5), ref output, o + (5 * block) + lanes);
        TW.Store(TW.Apply(op, a6), ref output, o + (6 * block));
        TW.Store(TW.Apply(op, b6), ref output, o + (6 * block) + lanes);
        TW.Store(TW.Apply(op, a7), ref output, o + (7 * block));
        TW.Store(TW.Apply(op, b7), ref output, o + (7 * block) + lanes);
    }

    /// <summary>
    /// W[0, column] in the panels: the column's lane of its panel; W[i, column] is <c>i·Lanes</c>
    /// further. The lanes are <c>TW.Count</c> (checked on entry), a constant here, so the division is a
    /// shift: dividing by the layer's Lanes field took a hardware division per weight pointer, 16 per
    /// group of eight outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Weight<T, TV, TW>(ref T panels, FewRowsWeights<T> layer, int column)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV> =>
        ref Unsafe.Add(ref panels, ((nint)((uint)column / (uint)TW.Count) * TW.Count * layer.FanIn) + (nint)((uint)column % (uint)TW.Count));

    private static void Run<T, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        if (x.Rows == 0)
        {
            return;
        }

        if (weights.Lanes > 1)
        {
            if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && weights.Lanes == Vector512<T>.Count)
            {
                Vectors<T, Vector512<T>, Simd512<T>, TOp>(x, weights, y);
                return;
            }

            if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && weights.Lanes == Vector256<T>.Count)
            {
                Vectors<T, Vector256<T>, Simd256<T>, TOp>(x, weights, y);
                return;
            }

            Vectors<T, Vector128<T>, Simd128<T>, TOp>(x, weights, y);
            return;
        }

        Scalar<T, TOp>(x, weights, y);
    }

    private static void Scalar<T, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        // Panels one column wide: column j's weights are contiguous.
        int n = weights.FanIn;
        ReadOnlySpan<T> panels = weights.PanelData;
        TOp op = default;
        for (int j = 0; j < weights.FanOut; j++)
        {
            ReadOnlySpan<T> w = panels.Slice(j * n, n);
            for (int r = 0; r < x.Rows; r++)
            {
                ReadOnlySpan<T> row = x.Row(r);
                T acc = weights.BiasData[j];
                for (int i = 0; i < n; i++)
                {
                    acc = SimdWidth.Fused ? T.FusedMultiplyAdd(row[i], w[i], acc) : (row[i] * w[i]) + acc;
                }

                y[r, j] = op.Invoke(acc);
            }
        }
    }

    private static void Vectors<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        int rows = x.Rows;
        int panels = weights.Panels;
        for (int r = 0; r < rows; r += 4)
        {
            int count = Math.Min(4, rows - r);
            ReadOnlyMatrixSpan<T> xb = x.SliceRows(r, count);
            MatrixSpan<T> yb = y.SliceRows(r, count);
            if (count == 1)
            {
                for (int p = 0; p < panels; p += 8)
                {
                    OneRowEightPanels<T, TV, TW, TOp>(xb, weights, yb, p);
                }
            }
            else if (count == 2)
            {
                for (int p = 0; p < panels; p += 4)
                {
                    TwoRowsFourPanels<T, TV, TW, TOp>(xb, weights, yb, p);
                }
            }
            else if (Avx512F.IsSupported && panels > 2)
            {
                for (int p = 0; p < panels; p += 4)
                {
                    FourRowsFourPanels<T, TV, TW, TOp>(xb, weights, yb, p);
                }
            }
            else
            {
                for (int p = 0; p < panels; p += 2)
                {
                    FourRowsTwoPanels<T, TV, TW, TOp>(xb, weights, yb, p);
                }
            }
        }
    }

    /// <summary>The start of panel <paramref name="p"/>, or of the last panel when <paramref name="p"/> is past it (a repeated read, never stored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Panel<T>(FewRowsWeights<T> weights, int p)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(weights.PanelData), (nint)((nuint)Math.Min(p, weights.Panels - 1) * (nuint)weights.Lanes * (nuint)weights.FanIn));

    /// <summary>The bias of panel <paramref name="p"/> (clamped like <see cref="Panel{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Bias<T, TV, TW>(FewRowsWeights<T> weights, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV> =>
        TW.Load(ref MemoryMarshal.GetArrayDataReference(weights.BiasData), (nuint)Math.Min(p, weights.Panels - 1) * (nuint)TW.Count);

    /// <summary>The first element of row <paramref name="r"/> of the block, or of its last row when <paramref name="r"/> is past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Row<T>(ReadOnlyMatrixSpan<T> x, int r)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ref Unsafe.Add(ref MemoryMarshal.GetReference(x.Span), (nint)Math.Min(r, x.Rows - 1) * x.Stride);

    /// <summary>One row, panels p … p + 7: eight independent chains.</summary>
    private static void OneRowEightPanels<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        ref T w0 = ref Panel(weights, p);
        ref T w1 = ref Panel(weights, p + 1);
        ref T w2 = ref Panel(weights, p + 2);
        ref T w3 = ref Panel(weights, p + 3);
        ref T w4 = ref Panel(weights, p + 4);
        ref T w5 = ref Panel(weights, p + 5);
        ref T w6 = ref Panel(weights, p + 6);
        ref T w7 = ref Panel(weights, p + 7);
        ref T xr = ref Row(x, 0);
        TV a0 = Bias<T, TV, TW>(weights, p);
        TV a1 = Bias<T, TV, TW>(weights, p + 1);
        TV a2 = Bias<T, TV, TW>(weights, p + 2);
        TV a3 = Bias<T, TV, TW>(weights, p + 3);
        TV a4 = Bias<T, TV, TW>(weights, p + 4);
        TV a5 = Bias<T, TV, TW>(weights, p + 5);
        TV a6 = Bias<T, TV, TW>(weights, p + 6);
        TV a7 = Bias<T, TV, TW>(weights, p + 7);
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV v = TW.Create(Unsafe.Add(ref xr, i));
            a0 = TW.MultiplyAdd(v, TW.Load(ref w0, k), a0);
            a1 = TW.MultiplyAdd(v, TW.Load(ref w1, k), a1);
            a2 = TW.MultiplyAdd(v, TW.Load(ref w2, k), a2);
            a3 = TW.MultiplyAdd(v, TW.Load(ref w3, k), a3);
            a4 = TW.MultiplyAdd(v, TW.Load(ref w4, k), a4);
            a5 = TW.MultiplyAdd(v, TW.Load(ref w5, k), a5);
            a6 = TW.MultiplyAdd(v, TW.Load(ref w6, k), a6);
            a7 = TW.MultiplyAdd(v, TW.Load(ref w7, k), a7);
        }

        ref T y0 = ref MemoryMarshal.GetReference(y.Span);
        int columns = y.Columns;
        Store<T, TV, TW, TOp>(a0, ref y0, p, columns);
        Store<T, TV, TW, TOp>(a1, ref y0, p + 1, columns);
        Store<T, TV, TW, TOp>(a2, ref y0, p + 2, columns);
        Store<T, TV, TW, TOp>(a3, ref y0, p + 3, columns);
        Store<T, TV, TW, TOp>(a4, ref y0, p + 4, columns);
        Store<T, TV, TW, TOp>(a5, ref y0, p + 5, columns);
        Store<T, TV, TW, TOp>(a6, ref y0, p + 6, columns);
        Store<T, TV, TW, TOp>(a7, ref y0, p + 7, columns);
    }

    /// <summary>Two rows, panels p … p + 3.</summary>
    private static void TwoRowsFourPanels<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        ref T w0 = ref Panel(weights, p);
        ref T w1 = ref Panel(weights, p + 1);
        ref T w2 = ref Panel(weights, p + 2);
        ref T w3 = ref Panel(weights, p + 3);
        ref T x0 = ref Row(x, 0);
        ref T x1 = ref Row(x, 1);
        TV a00 = Bias<T, TV, TW>(weights, p), a01 = Bias<T, TV, TW>(weights, p + 1), a02 = Bias<T, TV, TW>(weights, p + 2), a03 = Bias<T, TV, TW>(weights, p + 3);
        TV a10 = a00, a11 = a01, a12 = a02, a13 = a03;
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV v0 = TW.Create(Unsafe.Add(ref x0, i));
            TV v1 = TW.Create(Unsafe.Add(ref x1, i));
            TV u = TW.Load(ref w0, k);
            a00 = TW.MultiplyAdd(v0, u, a00);
            a10 = TW.MultiplyAdd(v1, u, a10);
            u = TW.Load(ref w1, k);
            a01 = TW.MultiplyAdd(v0, u, a01);
            a11 = TW.MultiplyAdd(v1, u, a11);
            u = TW.Load(ref w2, k);
            a02 = TW.MultiplyAdd(v0, u, a02);
            a12 = TW.MultiplyAdd(v1, u, a12);
            u = TW.Load(ref w3, k);
            a03 = TW.MultiplyAdd(v0, u, a03);
            a13 = TW.MultiplyAdd(v1, u, a13);
        }

        int columns = y.Columns;
        ref T y0 = ref MemoryMarshal.GetReference(y.Span);
        Store<T, TV, TW, TOp>(a00, ref y0, p, columns);
        Store<T, TV, TW, TOp>(a01, ref y0, p + 1, columns);
        Store<T, TV, TW, TOp>(a02, ref y0, p + 2, columns);
        Store<T, TV, TW, TOp>(a03, ref y0, p + 3, columns);
        ref T y1 = ref Unsafe.Add(ref y0, y.Stride);
        Store<T, TV, TW, TOp>(a10, ref y1, p, columns);
        Store<T, TV, TW, TOp>(a11, ref y1, p + 1, columns);
        Store<T, TV, TW, TOp>(a12, ref y1, p + 2, columns);
        Store<T, TV, TW, TOp>(a13, ref y1, p + 3, columns);
    }

    /// <summary>Three or four rows (a missing fourth repeats the third and is not stored), panels p … p + 3: sixteen accumulators, for CPUs with 32 vector registers.</summary>
    private static void FourRowsFourPanels<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        ref T w0 = ref Panel(weights, p);
        ref T w1 = ref Panel(weights, p + 1);
        ref T w2 = ref Panel(weights, p + 2);
        ref T w3 = ref Panel(weights, p + 3);
        ref T x0 = ref Row(x, 0);
        ref T x1 = ref Row(x, 1);
        ref T x2 = ref Row(x, 2);
        ref T x3 = ref Row(x, 3);
        TV a00 = Bias<T, TV, TW>(weights, p), a01 = Bias<T, TV, TW>(weights, p + 1), a02 = Bias<T, TV, TW>(weights, p + 2), a03 = Bias<T, TV, TW>(weights, p + 3);
        TV a10 = a00, a11 = a01, a12 = a02, a13 = a03;
        TV a20 = a00, a21 = a01, a22 = a02, a23 = a03;
        TV a30 = a00, a31 = a01, a32 = a02, a33 = a03;
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV v0 = TW.Create(Unsafe.Add(ref x0, i));
            TV v1 = TW.Create(Unsafe.Add(ref x1, i));
            TV v2 = TW.Create(Unsafe.Add(ref x2, i));
            TV v3 = TW.Create(Unsafe.Add(ref x3, i));
            TV u = TW.Load(ref w0, k);
            a00 = TW.MultiplyAdd(v0, u, a00);
            a10 = TW.MultiplyAdd(v1, u, a10);
            a20 = TW.MultiplyAdd(v2, u, a20);
            a30 = TW.MultiplyAdd(v3, u, a30);
            u = TW.Load(ref w1, k);
            a01 = TW.MultiplyAdd(v0, u, a01);
            a11 = TW.MultiplyAdd(v1, u, a11);
            a21 = TW.MultiplyAdd(v2, u, a21);
            a31 = TW.MultiplyAdd(v3, u, a31);
            u = TW.Load(ref w2, k);
            a02 = TW.MultiplyAdd(v0, u, a02);
            a12 = TW.MultiplyAdd(v1, u, a12);
            a22 = TW.MultiplyAdd(v2, u, a22);
            a32 = TW.MultiplyAdd(v3, u, a32);
            u = TW.Load(ref w3, k);
            a03 = TW.MultiplyAdd(v0, u, a03);
            a13 = TW.MultiplyAdd(v1, u, a13);
            a23 = TW.MultiplyAdd(v2, u, a23);
            a33 = TW.MultiplyAdd(v3, u, a33);
        }

        int columns = y.Columns;
        ref T y0 = ref MemoryMarshal.GetReference(y.Span);
        Store<T, TV, TW, TOp>(a00, ref y0, p, columns);
        Store<T, TV, TW, TOp>(a01, ref y0, p + 1, columns);
        Store<T, TV, TW, TOp>(a02, ref y0, p + 2, columns);
        Store<T, TV, TW, TOp>(a03, ref y0, p + 3, columns);
        ref T y1 = ref Unsafe.Add(ref y0, y.Stride);
        Store<T, TV, TW, TOp>(a10, ref y1, p, columns);
        Store<T, TV, TW, TOp>(a11, ref y1, p + 1, columns);
        Store<T, TV, TW, TOp>(a12, ref y1, p + 2, columns);
        Store<T, TV, TW, TOp>(a13, ref y1, p + 3, columns);
        ref T y2 = ref Unsafe.Add(ref y1, y.Stride);
        Store<T, TV, TW, TOp>(a20, ref y2, p, columns);
        Store<T, TV, TW, TOp>(a21, ref y2, p + 1, columns);
        Store<T, TV, TW, TOp>(a22, ref y2, p + 2, columns);
        Store<T, TV, TW, TOp>(a23, ref y2, p + 3, columns);
        if (y.Rows == 4)
        {
            ref T y3 = ref Unsafe.Add(ref y2, y.Stride);
            Store<T, TV, TW, TOp>(a30, ref y3, p, columns);
            Store<T, TV, TW, TOp>(a31, ref y3, p + 1, columns);
            Store<T, TV, TW, TOp>(a32, ref y3, p + 2, columns);
            Store<T, TV, TW, TOp>(a33, ref y3, p + 3, columns);
        }
    }

    /// <summary>Three or four rows, panels p and p + 1: eight accumulators, for CPUs with 16 vector registers.</summary>
    private static void FourRowsTwoPanels<T, TV, TW, TOp>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        ref T w0 = ref Panel(weights, p);
        ref T w1 = ref Panel(weights, p + 1);
        ref T x0 = ref Row(x, 0);
        ref T x1 = ref Row(x, 1);
        ref T x2 = ref Row(x, 2);
        ref T x3 = ref Row(x, 3);
        TV a00 = Bias<T, TV, TW>(weights, p), a01 = Bias<T, TV, TW>(weights, p + 1);
        TV a10 = a00, a11 = a01;
        TV a20 = a00, a21 = a01;
        TV a30 = a00, a31 = a01;
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV u0 = TW.Load(ref w0, k);
            TV u1 = TW.Load(ref w1, k);
            TV v = TW.Create(Unsafe.Add(ref x0, i));
            a00 = TW.MultiplyAdd(v, u0, a00);
            a01 = TW.MultiplyAdd(v, u1, a01);
            v = TW.Create(Unsafe.Add(ref x1, i));
            a10 = TW.MultiplyAdd(v, u0, a10);
            a11 = TW.MultiplyAdd(v, u1, a11);
            v = TW.Create(Unsafe.Add(ref x2, i));
            a20 = TW.MultiplyAdd(v, u0, a20);
            a21 = TW.MultiplyAdd(v, u1, a21);
            v = TW.Create(Unsafe.Add(ref x3, i));
            a30 = TW.MultiplyAdd(v, u0, a30);
            a31 = TW.MultiplyAdd(v, u1, a31);
        }

        int columns = y.Columns;
        ref T y0 = ref MemoryMarshal.GetReference(y.Span);
        Store<T, TV, TW, TOp>(a00, ref y0, p, columns);
        Store<T, TV, TW, TOp>(a01, ref y0, p + 1, columns);
        ref T y1 = ref Unsafe.Add(ref y0, y.Stride);
        Store<T, TV, TW, TOp>(a10, ref y1, p, columns);
        Store<T, TV, TW, TOp>(a11, ref y1, p + 1, columns);
        ref T y2 = ref Unsafe.Add(ref y1, y.Stride);
        Store<T, TV, TW, TOp>(a20, ref y2, p, columns);
        Store<T, TV, TW, TOp>(a21, ref y2, p + 1, columns);
        if (y.Rows == 4)
        {
            ref T y3 = ref Unsafe.Add(ref y2, y.Stride);
            Store<T, TV, TW, TOp>(a30, ref y3, p, columns);
            Store<T, TV, TW, TOp>(a31, ref y3, p + 1, columns);
        }
    }

    /// <summary>
    /// Stores panel <paramref name="p"/> of one row with the activation applied: a whole vector, the
    /// leading columns of the last, partial panel, or nothing for a panel past the last (a repeated one).
    /// Inlined and free of calls, so the caller's accumulators are never spilled around it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T, TV, TW, TOp>(TV value, ref T row, int p, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
        where TOp : struct, IUnaryOperator<T>
    {
        int lanes = TW.Count;
        int column = p * lanes;
        int width = columns - column;
        if (width <= 0)
        {
            return;
        }

        TV result = TW.Apply(default(TOp), value);
        if (width >= lanes)
        {
            TW.Store(result, ref row, (nuint)column);
            return;
        }

        ref T lane = ref Unsafe.As<TV, T>(ref result);
        for (int k = 0; k < width; k++)
        {
            Unsafe.Add(ref row, column + k) = Unsafe.Add(ref lane, k);
        }
    }
}
