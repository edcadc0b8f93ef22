using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Forward pass, softmax cross-entropy and backward pass of a narrow network (every layer at most
/// <see cref="MaxLayerWidth"/> units) for a block of up to <see cref="MaxBlockRows"/> rows at a time, with the block's
/// activations in a stack buffer, instead of a dozen kernel calls over the whole batch.
/// </summary>
/// <remarks>
/// <para>
/// Layout: a block's rows are transposed into the stack buffer unit by unit (<c>x[i][r]</c>), so each
/// vector holds one unit of consecutive rows (SIMD across rows) and each weight is a broadcast scalar.
/// Per block: gather the inputs (any stride, or rows picked by a shuffle order), then per layer
/// <c>z = b + Σᵢ xᵢ·Wᵢ</c> and the hidden activation (the public <see cref="Activations"/> kernels over
/// the block), the fused softmax cross-entropy per lane (loss, arg-max, <c>dZ = (Ŷ − Y)/N</c>), and
/// top-down <c>dW += aᵀ·dZ</c>, <c>db += Σ dZ</c> (into one accumulator vector per parameter, kept
/// across blocks), <c>dA = dZ·Wᵀ</c> and the activation backward. After the last block each
/// parameter's lanes are summed in a fixed order into <see cref="Network{T}.Gradients"/>. The last
/// block's rows are padded to whole vectors with zero inputs and a label of −1, which masks them out
/// of the loss, the count and the gradient.
/// </para>
/// <para>
/// Runs at <see cref="KernelSimd.VectorBits"/> (512, 256, 128 or scalar code), multiply-adds fused
/// exactly where the kernels fuse them. Deterministic: the order of every sum is fixed by the row
/// count and the width, and the whole pass runs on the calling thread, so the thread count cannot
/// change it. The results agree with the general path to rounding (sums are formed in another
/// order), not bit for bit. Allocates nothing: the per-parameter accumulators are allocated with the
/// trainer.
/// </para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class TinyNetworkStep<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The widest layer (inputs included) the path takes; wider layers go to the GEMM path.</summary>
    public const int MaxLayerWidth = 16;

    /// <summary>The most bytes of the block's stack buffer.</summary>
    public const int MaxStackBytes = 16 * 1024;

    /// <summary>The most rows per block; blocks halve (down to 16: multiples of every lane count) to fit <see cref="MaxStackBytes"/>.</summary>
    public const int MaxBlockRows = 256;

    private const int MinBlockRows = 16;

    private static readonly int Bits = KernelSimd.VectorBits;

    private readonly NetworkShape _shape;
    private readonly T[] _accumulators;
    private readonly int _blockRows;

    // Per layer: fan-in, fan-out, parameter offset, and the first unit of its input in the block buffer
    // (layer l's output starts at unit _units[l + 1]); read once per block instead of through the shape's checked accessors.
    private readonly int[] _fanIn;
    private readonly int[] _fanOut;
    private readonly int[] _offsets;
    private readonly int[] _units;

    /// <summary>Creates the path's accumulators for <paramref name="shape"/> (call only when <see cref="Supports"/> said yes).</summary>
    public TinyNetworkStep(NetworkShape shape)
    {
        _shape = shape;
        _blockRows = BlockRows(shape);
        int layers = shape.LayerCount;
        _fanIn = new int[layers];
        _fanOut = new int[layers];
        _offsets = new int[layers];
        _units = new int[layers + 1];
        for (int l = 0; l < layers; l++)
        {
            _fanIn[l] = shape.FanIn(l);
            _fanOut[l] = shape.FanOut(l);
            _offsets[l] = shape.ParameterOffset(l);
            _units[l + 1] = _units[l] + _fanIn[l];
        }
        _accumulators = new T[shape.ParameterCount * Math.Max(Lanes, Vector512<T>.Count)]; // any width (tests pick one)
    }

    /// <summary>Lanes of <typeparamref name="T"/> at the kernels' width (1 for scalar code).</summary>
    public static int Lanes => Bits switch
    {
        >= 512 => Vector512<T>.Count,
        >= 256 => Vector256<T>.Count,
        >= 128 => Vector128<T>.Count,
        _ => 1,
    };

    /// <summary>
    /// Whether the tiny path can run a step of <paramref name="shape"/> with <paramref name="options"/>:
    /// float or double, every layer at most <see cref="MaxLayerWidth"/> wide, the block's buffers
    /// within <see cref="MaxStackBytes"/> for 16 rows or more, and no option the path does not implement.
    /// </summary>
    /// <param name="shape">The network's architecture.</param>
    /// <param name="options">The trainer's options (an option the path does not implement declines it).</param>
    /// <returns>True when the trainer should use the tiny path.</returns>
    public static bool Supports(NetworkShape shape, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(options);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            return false;
        }

        // Label smoothing and dropout live in the general path's passes only.
        if (Regularization<T>.IsNeeded(options.LabelSmoothing, options.DropoutRate))
        {
            return false;
        }

        return shape.Inputs <= MaxLayerWidth && shape.MaxLayerWidth <= MaxLayerWidth && BlockRows(shape) > 0;
    }

    /// <summary>Rows per block for <paramref name="shape"/>: the most (256, 128, …, 16) whose buffers fit <see cref="MaxStackBytes"/>, or 0.</summary>
    internal static int BlockRows(NetworkShape shape)
    {
        long bytesPerRow = (long)StackUnits(shape) * Unsafe.SizeOf<T>();
        for (int rows = MaxBlockRows; rows >= MinBlockRows; rows /= 2)
        {
            if (bytesPerRow * rows <= MaxStackBytes)
            {
                return rows;
            }
        }

        return 0;
    }

    /// <summary>Units of the block buffer: inputs, every layer's output, two delta blocks.</summary>
    private static int StackUnits(NetworkShape shape)
    {
        int units = shape.Inputs + (2 * shape.MaxLayerWidth);
        for (int l = 0; l < shape.LayerCount; l++)
        {
            units += shape.FanOut(l);
        }

        return units;
    }

    /// <summary>
    /// Forward, mean cross-entropy and backward over <paramref name="rows"/> rows of
    /// <paramref name="features"/> (row <c>order[start + r]</c>, or <c>start + r</c> when
    /// <paramref name="order"/> is empty), with their labels read the same way: writes every
    /// gradient of <paramref name="network"/> (overwriting) and returns the mean loss;
    /// <paramref name="correct"/> counts the rows whose arg-max logit (first on ties) is the label.
    /// Inputs and labels must have been checked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public T Run(Network<T> network, ReadOnlyMatrixSpan<T> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> order, int start, int rows, out int correct)
    {
        if (Vector512.IsHardwareAccelerated && Bits >= 512)
        {
            return Run<Vector512<T>, Lanes512>(network, features, labels, order, start, rows, out correct);
        }

        if (Vector256.IsHardwareAccelerated && Bits >= 256)
        {
            return Run<Vector256<T>, Lanes256>(network, features, labels, order, start, rows, out correct);
        }

        if (Vector128.IsHardwareAccelerated && Bits >= 128)
        {
            return Run<Vector128<T>, Lanes128>(network, features, labels, order, start, rows, out correct);
        }

        return Run<T, LanesScalar>(network, features, labels, order, start, rows, out correct);
    }

    /// <summary>As <see cref="Run(Network{T}, ReadOnlyMatrixSpan{T}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, out int)"/> at a width the caller picks (tests: every width in one process); 512, 256, 128 (each if accelerated) or 0.</summary>
    internal T RunAtWidth(int bits, Network<T> network, ReadOnlyMatrixSpan<T> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> order, int start, int rows, out int correct) => bits switch
    {
        512 when Vector512.IsHardwareAccelerated => Run<Vector512<T>, Lanes512>(network, features, labels, order, start, rows, out correct),
        256 when Vector256.IsHardwareAccelerated => Run<Vector256<T>, Lanes256>(network, features, labels, order, start, rows, out correct),
        128 when Vector128.IsHardwareAccelerated => Run<Vector128<T>, Lanes128>(network, features, labels, order, start, rows, out correct),
        0 => Run<T, LanesScalar>(network, features, labels, order, start, rows, out correct),
        _ => throw new ArgumentOutOfRangeException(nameof(bits), bits, "Expected an accelerated width of 512, 256 or 128, or 0."),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every element of the stack buffers is written before it is read
    private T Run<TV, TW>(Network<T> network, ReadOnlyMatrixSpan<T> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> order, int start, int rows, out int correct)
        where TV : struct
        where TW : struct, ILanes<TV>
    {
        NetworkShape shape = _shape;
        int layers = shape.LayerCount;
        int inputs = shape.Inputs;
        int outputs = shape.Outputs;
        int lanes = TW.Count;
        int blockRows = _blockRows;
        HiddenActivation activation = shape.HiddenActivation;
        bool ordered = !order.IsEmpty;
        int reach = ordered ? order.Length : Math.Min(features.Rows, labels.Length);
        if (rows < 1 || start < 0 || start > reach - rows || features.Columns != inputs || network.Parameters.Length != shape.ParameterCount
            || (ordered && (features.Rows != labels.Length || features.Rows < order.Length)))
        {
            throw new ArgumentException("The batch lies outside the features, labels or order.", nameof(rows));
        }

        Span<T> block = stackalloc T[StackUnits(shape) * blockRows];
        Span<T> labelBlock = stackalloc T[blockRows];
        ref T blockRef = ref MemoryMarshal.GetReference(block);
        ref T labelRef = ref MemoryMarshal.GetReference(labelBlock);
        ref T parameters = ref MemoryMarshal.GetReference(network.Parameters);
        ref T acc = ref MemoryMarshal.GetArrayDataReference(_accumulators);
        ref int fanIns = ref MemoryMarshal.GetArrayDataReference(_fanIn);
        ref int fanOuts = ref MemoryMarshal.GetArrayDataReference(_fanOut);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(_offsets);
        ref int units = ref MemoryMarshal.GetArrayDataReference(_units);
        int logitUnit = Unsafe.Add(ref units, layers);
        int deltaUnit = logitUnit + outputs;
        int maxWidth = shape.MaxLayerWidth;
        _accumulators.AsSpan(0, shape.ParameterCount * lanes).Clear();

        // The caller checked every index: rows within the features and labels, the order slice within the order.
        ref T featureRef = ref MemoryMarshal.GetReference(features.Span);
        int stride = features.Stride;
        ref int labelSource = ref MemoryMarshal.GetReference(labels);
        ref int orderRef = ref MemoryMarshal.GetReference(order);

        T invN = T.One / T.CreateTruncating(rows);
        TV vInvN = TW.Create(invN);

        // The loss is Σ log(sum of e^(z − max)) − Σ (z_target − max). Each sum lies in [1, outputs],
        // so the logs are taken of running products of sums per lane, folded (one scalar log per
        // lane) before they could leave the range: below 2¹²⁰ (float) or 2¹⁰⁰⁰ (double).
        T logTotal = T.Zero;
        TV product = TW.One;
        int factors = 0;
        int maxFactors = (typeof(T) == typeof(float) ? 120 : 1000) / (32 - BitOperations.LeadingZeroCount((uint)outputs));
        TV shiftedTotal = TW.Zero;
        TV hits = TW.Zero;
        for (int first = 0; first < rows; first += blockRows)
        {
            int count = Math.Min(blockRows, rows - first);
            int s = (count + lanes - 1) / lanes * lanes; // the block's row stride: whole vectors

            Gather<TV, TW>(ref featureRef, stride, ref labelSource, ordered, ref Unsafe.Add(ref orderRef, ordered ? start + first : 0), start + first, count, s, inputs, ref blockRef, ref labelRef);

            // Forward: z = b + Σᵢ xᵢ·Wᵢⱼ per vector of rows; ReLU applied before the store, sigmoid in a
            // pass over the layer's block (its exponential is a call, which would spill the product loop),
            // tanh by the kernel over the block.
            for (int l = 0; l < layers; l++)
            {
                int fanIn = Unsafe.Add(ref fanIns, l);
                int fanOut = Unsafe.Add(ref fanOuts, l);
                ref T bias = ref Unsafe.Add(ref parameters, Unsafe.Add(ref offsets, l));
                ref T weights = ref Unsafe.Add(ref bias, fanOut);
                ref T x = ref Unsafe.Add(ref blockRef, Unsafe.Add(ref units, l) * s);
                ref T z = ref Unsafe.Add(ref blockRef, Unsafe.Add(ref units, l + 1) * s);
                bool hidden = l < layers - 1;
                for (int j = 0; j < fanOut; j++)
                {
                    TV b = TW.Create(Unsafe.Add(ref bias, j));
                    ref T zj = ref Unsafe.Add(ref z, j * s);
                    for (int c = 0; c < s; c += lanes)
                    {
                        TV sum = b;
                        ref T xc = ref Unsafe.Add(ref x, c);
                        for (int i = 0; i < fanIn; i++)
                        {
                            sum = TW.MultiplyAdd(TW.Load(ref xc, (nuint)(i * s)), TW.Create(Unsafe.Add(ref weights, (i * fanOut) + j)), sum);
                        }

                        if (hidden && activation == HiddenActivation.Relu)
                        {
                            sum = TW.Select(TW.GreaterThan(sum, TW.Zero), sum, TW.Zero);
                        }

                        TW.Store(sum, ref zj, (nuint)c);
                    }
                }

                if (hidden && activation == HiddenActivation.Sigmoid)
                {
                    Sigmoid<TV, TW>(ref z, fanOut * s);
                }
                else if (hidden && activation == HiddenActivation.Tanh)
                {
                    Span<T> a = MemoryMarshal.CreateSpan(ref z, fanOut * s);
                    Activations.Tanh(a, a);
                }
            }

            // Softmax cross-entropy per lane, into delta block 0: dZ = (e^(z − max) / Σ − onehot) / N.
            ref T logits = ref Unsafe.Add(ref blockRef, logitUnit * s);
            ref T delta0 = ref Unsafe.Add(ref blockRef, deltaUnit * s);
            ref T delta1 = ref Unsafe.Add(ref delta0, maxWidth * s);
            for (int c = 0; c < s; c += lanes)
            {
                TV label = TW.Load(ref labelRef, (nuint)c);
                TV valid = TW.GreaterThanOrEqual(label, TW.Zero);
                ref T zc = ref Unsafe.Add(ref logits, c);
                ref T gc = ref Unsafe.Add(ref delta0, c);
                TV max = TW.Load(ref zc, 0);
                TV predicted = TW.Zero;
                for (int k = 1; k < outputs; k++)
                {
                    // The first largest logit is the prediction (strictly greater replaces it), as the arg-max kernel does.
                    TV zk = TW.Load(ref zc, (nuint)(k * s));
                    TV greater = TW.GreaterThan(zk, max);
                    max = TW.Select(greater, zk, max);
                    predicted = TW.Select(greater, TW.Create(T.CreateTruncating(k)), predicted);
                }

                TV sum = TW.Zero;
                TV shiftedTarget = TW.Zero;
                for (int k = 0; k < outputs; k++)
                {
                    TV shifted = TW.Subtract(TW.Load(ref zc, (nuint)(k * s)), max);
                    TV e = TW.Exp(shifted);
                    sum = TW.Add(sum, e);
                    shiftedTarget = TW.Add(shiftedTarget, TW.Select(TW.Equals(label, TW.Create(T.CreateTruncating(k))), shifted, TW.Zero));
                    TW.Store(e, ref gc, (nuint)(k * s));
                }

                product = TW.Multiply(product, TW.Select(valid, sum, TW.One));
                if (++factors == maxFactors)
                {
                    logTotal += TW.SumOfLogs(product);
                    product = TW.One;
                    factors = 0;
                }

                shiftedTotal = TW.Add(shiftedTotal, shiftedTarget); // 0 on padded lanes (no class is −1)
                hits = TW.Add(hits, TW.Select(TW.Equals(predicted, label), TW.One, TW.Zero));
                TV scale = TW.Divide(vInvN, sum);
                for (int k = 0; k < outputs; k++)
                {
                    TV g = TW.Multiply(TW.Load(ref gc, (nuint)(k * s)), scale);
                    g = TW.Subtract(g, TW.Select(TW.Equals(label, TW.Create(T.CreateTruncating(k))), vInvN, TW.Zero));
                    TW.Store(TW.Select(valid, g, TW.Zero), ref gc, (nuint)(k * s));
                }
            }

            // Backward, top-down, alternating the two delta blocks.
            ref T dz = ref delta0;
            ref T da = ref delta1;
            for (int l = layers - 1; l >= 0; l--)
            {
                int fanIn = Unsafe.Add(ref fanIns, l);
                int fanOut = Unsafe.Add(ref fanOuts, l);
                int offset = Unsafe.Add(ref offsets, l);
                ref T weights = ref Unsafe.Add(ref parameters, offset + fanOut);
                ref T x = ref Unsafe.Add(ref blockRef, Unsafe.Add(ref units, l) * s);
                ref T biasAcc = ref Unsafe.Add(ref acc, offset * lanes);
                ref T weightAcc = ref Unsafe.Add(ref biasAcc, fanOut * lanes);

                // db += Σ dZ and dW += xᵀ·dZ, per lane, into the accumulators (one vector per parameter).
                for (int j = 0; j < fanOut; j++)
                {
                    ref T dzj = ref Unsafe.Add(ref dz, j * s);
                    TV b = TW.Load(ref biasAcc, (nuint)(j * lanes));
                    for (int c = 0; c < s; c += lanes)
                    {
                        b = TW.Add(b, TW.Load(ref dzj, (nuint)c));
                    }

                    TW.Store(b, ref biasAcc, (nuint)(j * lanes));
                    for (int i = 0; i < fanIn; i++)
                    {
                        ref T xi = ref Unsafe.Add(ref x, i * s);
                        nuint p = (nuint)(((i * fanOut) + j) * lanes);
                        TV w = TW.Load(ref weightAcc, p);
                        for (int c = 0; c < s; c += lanes)
                        {
                            w = TW.MultiplyAdd(TW.Load(ref xi, (nuint)c), TW.Load(ref dzj, (nuint)c), w);
                        }

                        TW.Store(w, ref weightAcc, p);
                    }
                }

                if (l == 0)
                {
                    break;
                }

                // dA = dZ · Wᵀ, and dZ_prev = dA ⊙ f′(A) (in terms of the stored output A) before the store.
                for (int i = 0; i < fanIn; i++)
                {
                    ref T ai = ref Unsafe.Add(ref x, i * s);
                    ref T dai = ref Unsafe.Add(ref da, i * s);
                    ref T wi = ref Unsafe.Add(ref weights, i * fanOut);
                    for (int c = 0; c < s; c += lanes)
                    {
                        ref T dzc = ref Unsafe.Add(ref dz, c);
                        TV sum = TW.Zero;
                        for (int j = 0; j < fanOut; j++)
                        {
                            sum = TW.MultiplyAdd(TW.Load(ref dzc, (nuint)(j * s)), TW.Create(Unsafe.Add(ref wi, j)), sum);
                        }

                        TV a = TW.Load(ref ai, (nuint)c);
                        sum = activation switch
                        {
                            HiddenActivation.Sigmoid => TW.Multiply(TW.Multiply(sum, a), TW.Subtract(TW.One, a)),
                            HiddenActivation.Tanh => TW.Multiply(sum, TW.Subtract(TW.One, TW.Multiply(a, a))),
                            _ => TW.Select(TW.GreaterThan(a, TW.Zero), sum, TW.Zero),
                        };
                        TW.Store(sum, ref dai, (nuint)c);
                    }
                }

                ref T swap = ref dz;
                dz = ref da;
                da = ref swap;
            }
        }

        // Each parameter's lanes, summed in a fixed order (halves folded, then lane order).
        Span<T> gradients = network.Gradients;
        for (int p = 0; p < gradients.Length; p++)
        {
            gradients[p] = TW.Sum(TW.Load(ref acc, (nuint)(p * lanes)));
        }

        logTotal += TW.SumOfLogs(product);
        correct = int.CreateTruncating(TW.Sum(hits));
        return (logTotal - TW.Sum(shiftedTotal)) * invN;
    }

    /// <summary>
    /// Transposes <paramref name="count"/> rows into the block (<c>x[i][r]</c> at <c>i·s + r</c>) and
    /// their labels (as T); rows <c>count … s − 1</c> get zero inputs and label −1. Row r is
    /// <c>order[r]</c> when <paramref name="ordered"/>, else <c>first + r</c>. Whole vectors of rows
    /// use the CPU's gather instruction where the width has one (x64: AVX2, AVX-512); the rest are copied one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gather<TV, TW>(ref T features, int stride, ref int labels, bool ordered, ref int order, int first, int count, int s, int inputs, ref T block, ref T blockLabels)
        where TV : struct
        where TW : struct, ILanes<TV>
    {
        int r = 0;
        if (TW.HasGather)
        {
            fixed (T* f = &features)
            fixed (int* y = &labels)
            fixed (int* o = &order)
            {
                for (; r + TW.Count <= count; r += TW.Count)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        TW.Store(TW.GatherRows(f + i, o + r, first + r, ordered, stride), ref block, (nuint)((i * s) + r));
                    }

                    TW.Store(TW.GatherLabels(y, o + r, first + r, ordered), ref blockLabels, (nuint)r);
                }
            }
        }

        for (; r < count; r++)
        {
            nint index = ordered ? Unsafe.Add(ref order, r) : first + r;
            ref T row = ref Unsafe.Add(ref features, index * stride);
            ref T x = ref Unsafe.Add(ref block, r);
            for (int i = 0; i < inputs; i++)
            {
                Unsafe.Add(ref x, i * s) = Unsafe.Add(ref row, i);
            }

            Unsafe.Add(ref blockLabels, r) = T.CreateTruncating(Unsafe.Add(ref labels, index));
        }

        for (r = count; r < s; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                Unsafe.Add(ref block, (i * s) + r) = T.Zero;
            }

            Unsafe.Add(ref blockLabels, r) = T.NegativeOne;
        }
    }

    /// <summary>Sigmoid <c>1 / (1 + e^(−z))</c> in place over <paramref name="length"/> elements (whole vectors), the kernels' formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sigmoid<TV, TW>(ref T z, int length)
        where TV : struct
        where TW : struct, ILanes<TV>
    {
        for (int c = 0; c < length; c += TW.Count)
        {
            TV v = TW.Load(ref z, (nuint)c);
            TW.Store(TW.Divide(TW.One, TW.Add(TW.One, TW.Exp(TW.Negate(v)))), ref z, (nuint)c);
        }
    }

    /// <summary>
    /// e^x lane-wise for float, written here rather than called from the runtime: the runtime's
    /// vector exponentials are generic methods that start as unoptimised (tier-0) code, which made the
    /// first few dozen steps several times slower than the rest. Cody–Waite reduction
    /// <c>x = n·ln 2 + r</c>, |r| ≤ ln 2 / 2, a degree-7 Taylor polynomial for e^r (truncation below
    /// 6·10⁻⁹ relative), and the scale 2ⁿ applied as two halves so results that overflow or underflow
    /// come out as ∞ or 0 (subnormals in between). Within 0.61 ulp of the true value over the whole
    /// range (TinyNetworkStepProperties); NaN stays NaN.
    /// </summary>
    /// <remarks>
    /// Double keeps the runtime's exponential (and its tier-0 phase: the cold-start bar is float). Its
    /// last bits matter to one test: the worked example's 1500 chaotic full-batch epochs in double end at
    /// 0.86 test accuracy with the runtime's, 0.83 with a double version of this one (the textbook's
    /// range is 0.85–0.91), so double stays on the exponential the general path uses.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exponential<TV, TW>(TV x)
        where TV : struct
        where TW : struct, ILanes<TV>
    {
        // Beyond these, e^x is 0 or ∞ in float; clamping keeps n and its halves inside the exponent range.
        TV clamped = TW.Min(TW.Max(x, TW.Create(T.CreateTruncating(-104f))), TW.Create(T.CreateTruncating(89f)));
        TV n = TW.Round(TW.Multiply(clamped, TW.Create(T.CreateTruncating(1.442695f))));
        TV r = TW.MultiplyAdd(n, TW.Create(T.CreateTruncating(-0.693359375f)), clamped);
        r = TW.MultiplyAdd(n, TW.Create(T.CreateTruncating(2.12194440e-4f)), r);
        TV p = TW.Create(T.CreateTruncating(1f / 5040));
        p = TW.MultiplyAdd(p, r, TW.Create(T.CreateTruncating(1f / 720)));
        p = TW.MultiplyAdd(p, r, TW.Create(T.CreateTruncating(1f / 120)));
        p = TW.MultiplyAdd(p, r, TW.Create(T.CreateTruncating(1f / 24)));
        p = TW.MultiplyAdd(p, r, TW.Create(T.CreateTruncating(1f / 6)));
        p = TW.MultiplyAdd(p, r, TW.Create(T.CreateTruncating(0.5f)));
        p = TW.MultiplyAdd(p, r, TW.One);
        p = TW.MultiplyAdd(p, r, TW.One);
        TV half = TW.Round(TW.Multiply(n, TW.Create(T.CreateTruncating(0.5f))));
        TV result = TW.Multiply(TW.Multiply(p, TW.Pow2(half)), TW.Pow2(TW.Subtract(n, half)));

        // NaN in, NaN out (the clamp may have replaced it).
        return TW.Select(TW.Equals(x, x), result, x);
    }

    /// <summary>The path's float exponential at a chosen width over whole vectors of <paramref name="x"/> (tests: judged against Math.Exp).</summary>
    internal static void ExponentialAtWidth(int bits, ReadOnlySpan<T> x, Span<T> destination)
    {
        if (typeof(T) != typeof(float))
        {
            throw new NotSupportedException("The path's own exponential is float only.");
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, x.Length);
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T target = ref MemoryMarshal.GetReference(destination);
        switch (bits)
        {
            case 512 when Vector512.IsHardwareAccelerated:
                for (int i = 0; i + Vector512<T>.Count <= x.Length; i += Vector512<T>.Count)
                {
                    Lanes512.Store(Lanes512.Exp(Lanes512.Load(ref source, (nuint)i)), ref target, (nuint)i);
                }

                break;
            case 256 when Vector256.IsHardwareAccelerated:
                for (int i = 0; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
                {
                    Lanes256.Store(Lanes256.Exp(Lanes256.Load(ref source, (nuint)i)), ref target, (nuint)i);
                }

                break;
            case 128 when Vector128.IsHardwareAccelerated:
                for (int i = 0; i + Vector128<T>.Count <= x.Length; i += Vector128<T>.Count)
                {
                    Lanes128.Store(Lanes128.Exp(Lanes128.Load(ref source, (nuint)i)), ref target, (nuint)i);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(bits), bits, "Expected an accelerated width of 512, 256 or 128.");
        }
    }

    /// <summary>The few lane-wise operations the path needs, at one width (all inlined).</summary>
    private interface ILanes<TV>
        where TV : struct
    {
        static abstract int Count { get; }

        static abstract TV Zero { get; }

        static abstract TV One { get; }

        static abstract TV Create(T value);

        static abstract TV Load(ref T source, nuint index);

        static abstract void Store(TV value, ref T destination, nuint index);

        static abstract TV Add(TV a, TV b);

        static abstract TV Subtract(TV a, TV b);

        static abstract TV Multiply(TV a, TV b);

        static abstract TV Divide(TV a, TV b);

        static abstract TV Negate(TV a);

        /// <summary><c>a · b + c</c>: fused where FMA is an instruction (as in the kernels), else a multiply then an add.</summary>
        static abstract TV MultiplyAdd(TV a, TV b, TV c);

        static abstract TV Max(TV a, TV b);

        static abstract TV GreaterThan(TV a, TV b);

        static abstract TV GreaterThanOrEqual(TV a, TV b);

        static abstract TV Equals(TV a, TV b);

        static abstract TV Select(TV mask, TV a, TV b);

        /// <summary>e^x lane-wise: float <see cref="Exponential{TV, TW}"/> (compiled with the path, fully optimised from the first call), double the runtime's, T.Exp in scalar code.</summary>
        static abstract TV Exp(TV x);

        /// <summary>Σ_k log(v_k) in lane order (scalar logs: a handful per step).</summary>
        static abstract T SumOfLogs(TV v);

        /// <summary>Round to the nearest integer (ties to even).</summary>
        static abstract TV Round(TV x);

        static abstract TV Min(TV a, TV b);

        /// <summary>2ⁿ for integral n within float's exponent range (built from its bits; float only).</summary>
        static abstract TV Pow2(TV n);

        static abstract T Sum(TV v);

        /// <summary>Whether <see cref="GatherRows"/> and <see cref="GatherLabels"/> are instructions at this width.</summary>
        static abstract bool HasGather { get; }

        /// <summary>Lane k: <c>column[row_k · stride]</c>, row_k = <c>rows[k]</c> when ordered, else <c>first + k</c>.</summary>
        static abstract unsafe TV GatherRows(T* column, int* rows, int first, bool ordered, int stride);

        /// <summary>Lane k: <c>labels[row_k]</c> as T, rows as in <see cref="GatherRows"/>.</summary>
        static abstract unsafe TV GatherLabels(int* labels, int* rows, int first, bool ordered);
    }

    // A non-short-circuit |, as in the kernels' GemmMath.Fused: || makes each inlined multiply-add a
    // branch, whose argument temporaries cost register moves in the row loops.
    private static bool Fused => Fma.IsSupported | AdvSimd.IsSupported;

    private readonly struct Lanes128 : ILanes<Vector128<T>>
    {
        public static int Count => Vector128<T>.Count;

        public static Vector128<T> Zero => Vector128<T>.Zero;

        public static Vector128<T> One => Vector128<T>.One;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Create(T value) => Vector128.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Negate(Vector128<T> a) => -a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        {
            if (!Fused)
            {
                return (a * b) + c;
            }

            return typeof(T) == typeof(float)
                ? Vector128.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
                : Vector128.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> GreaterThan(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThan(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> GreaterThanOrEqual(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThanOrEqual(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Equals(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Select(Vector128<T> mask, Vector128<T> a, Vector128<T> b) => Vector128.ConditionalSelect(mask, a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Exp(Vector128<T> x) =>
            typeof(T) == typeof(float) ? Exponential<Vector128<T>, Lanes128>(x) : Vector128.Exp(x.As<T, double>()).As<double, T>();

        public static T SumOfLogs(Vector128<T> v)
        {
            T sum = T.Zero;
            for (int k = 0; k < Vector128<T>.Count; k++)
            {
                sum += T.Log(v.GetElement(k));
            }

            return sum;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Round(Vector128<T> x) =>
            typeof(T) == typeof(float)
                ? Vector128.Round(x.As<T, float>()).As<float, T>()
                : Vector128.Round(x.As<T, double>()).As<double, T>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Min(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<T> Pow2(Vector128<T> n)
        {
            // float only (the exponential's scale): 1.5·2²³ puts n in the low mantissa bits.
            Vector128<int> bits = (n.As<T, float>() + Vector128.Create(12582912f)).AsInt32();
            return (Vector128.ShiftLeft(bits, 23) + Vector128.Create(127 << 23)).As<int, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sum(Vector128<T> v) => HorizontalSum.Sum(v);

        // float only: its index and label vectors hold exactly its 4 lanes. Double has 2 lanes, so a
        // 4-int load of the order would read (and the label gather use) 2 indices past the block.
        public static bool HasGather => Avx2.IsSupported && typeof(T) == typeof(float);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector128<T> GatherRows(T* column, int* rows, int first, bool ordered, int stride)
        {
            Vector128<int> index = (ordered ? Vector128.Load(rows) : Vector128.Create(first) + Vector128<int>.Indices) * Vector128.Create(stride);
            return typeof(T) == typeof(float)
                ? Avx2.GatherVector128((float*)column, index, 4).As<float, T>()
                : Avx2.GatherVector128((double*)column, index, 8).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector128<T> GatherLabels(int* labels, int* rows, int first, bool ordered)
        {
            Vector128<int> y = ordered ? Avx2.GatherVector128(labels, Vector128.Load(rows), 4) : Vector128.Load(labels + first);
            return typeof(T) == typeof(float)
                ? Vector128.ConvertToSingle(y).As<float, T>()
                : Sse2.ConvertToVector128Double(y).As<double, T>();
        }
    }

    private readonly struct Lanes256 : ILanes<Vector256<T>>
    {
        public static int Count => Vector256<T>.Count;

        public static Vector256<T> Zero => Vector256<T>.Zero;

        public static Vector256<T> One => Vector256<T>.One;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Create(T value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Negate(Vector256<T> a) => -a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        {
            if (!Fused)
            {
                return (a * b) + c;
            }

            return typeof(T) == typeof(float)
                ? Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
                : Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> GreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> GreaterThanOrEqual(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Equals(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Select(Vector256<T> mask, Vector256<T> a, Vector256<T> b) => Vector256.ConditionalSelect(mask, a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Exp(Vector256<T> x) =>
            typeof(T) == typeof(float) ? Exponential<Vector256<T>, Lanes256>(x) : Vector256.Exp(x.As<T, double>()).As<double, T>();

        public static T SumOfLogs(Vector256<T> v)
        {
            T sum = T.Zero;
            for (int k = 0; k < Vector256<T>.Count; k++)
            {
                sum += T.Log(v.GetElement(k));
            }

            return sum;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Round(Vector256<T> x) =>
            typeof(T) == typeof(float)
                ? Vector256.Round(x.As<T, float>()).As<float, T>()
                : Vector256.Round(x.As<T, double>()).As<double, T>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Pow2(Vector256<T> n)
        {
            // float only (the exponential's scale): 1.5·2²³ puts n in the low mantissa bits.
            Vector256<int> bits = (n.As<T, float>() + Vector256.Create(12582912f)).AsInt32();
            return (Vector256.ShiftLeft(bits, 23) + Vector256.Create(127 << 23)).As<int, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sum(Vector256<T> v) => Lanes128.Sum(v.GetLower() + v.GetUpper());
        public static bool HasGather => Avx2.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<T> GatherRows(T* column, int* rows, int first, bool ordered, int stride)
        {
            if (typeof(T) == typeof(float))
            {
                Vector256<int> index = (ordered ? Vector256.Load(rows) : Vector256.Create(first) + Vector256<int>.Indices) * Vector256.Create(stride);
                return Avx2.GatherVector256((float*)column, index, 4).As<float, T>();
            }

            Vector128<int> index4 = (ordered ? Vector128.Load(rows) : Vector128.Create(first) + Vector128<int>.Indices) * Vector128.Create(stride);
            return Avx2.GatherVector256((double*)column, index4, 8).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<T> GatherLabels(int* labels, int* rows, int first, bool ordered)
        {
            if (typeof(T) == typeof(float))
            {
                Vector256<int> y = ordered ? Avx2.GatherVector256(labels, Vector256.Load(rows), 4) : Vector256.Load(labels + first);
                return Vector256.ConvertToSingle(y).As<float, T>();
            }

            Vector128<int> y4 = ordered ? Avx2.GatherVector128(labels, Vector128.Load(rows), 4) : Vector128.Load(labels + first);
            return Avx.ConvertToVector256Double(y4).As<double, T>();
        }
    }

    private readonly struct Lanes512 : ILanes<Vector512<T>>
    {
        public static int Count => Vector512<T>.Count;

        public static Vector512<T> Zero => Vector512<T>.Zero;

        public static Vector512<T> One => Vector512<T>.One;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Create(T value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Negate(Vector512<T> a) => -a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        {
            if (!Fused)
            {
                return (a * b) + c;
            }

            return typeof(T) == typeof(float)
                ? Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
                : Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> GreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> GreaterThanOrEqual(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThanOrEqual(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Equals(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Select(Vector512<T> mask, Vector512<T> a, Vector512<T> b) => Vector512.ConditionalSelect(mask, a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Exp(Vector512<T> x) =>
            typeof(T) == typeof(float) ? Exponential<Vector512<T>, Lanes512>(x) : Vector512.Exp(x.As<T, double>()).As<double, T>();

        public static T SumOfLogs(Vector512<T> v)
        {
            T sum = T.Zero;
            for (int k = 0; k < Vector512<T>.Count; k++)
            {
                sum += T.Log(v.GetElement(k));
            }

            return sum;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Round(Vector512<T> x) =>
            typeof(T) == typeof(float)
                ? Vector512.Round(x.As<T, float>()).As<float, T>()
                : Vector512.Round(x.As<T, double>()).As<double, T>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Pow2(Vector512<T> n)
        {
            // float only (the exponential's scale): 1.5·2²³ puts n in the low mantissa bits.
            Vector512<int> bits = (n.As<T, float>() + Vector512.Create(12582912f)).AsInt32();
            return (Vector512.ShiftLeft(bits, 23) + Vector512.Create(127 << 23)).As<int, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sum(Vector512<T> v) => Lanes256.Sum(v.GetLower() + v.GetUpper());
        // No 512-bit gather in the runtime's API: two 256-bit ones (AVX2, which every AVX-512 part has).
        public static bool HasGather => Avx2.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<T> GatherRows(T* column, int* rows, int first, bool ordered, int stride) =>
            Vector512.Create(Lanes256.GatherRows(column, rows, first, ordered, stride), Lanes256.GatherRows(column, rows + Vector256<T>.Count, first + Vector256<T>.Count, ordered, stride));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<T> GatherLabels(int* labels, int* rows, int first, bool ordered) =>
            Vector512.Create(Lanes256.GatherLabels(labels, rows, first, ordered), Lanes256.GatherLabels(labels, rows + Vector256<T>.Count, first + Vector256<T>.Count, ordered));
    }

    /// <summary>Scalar code (width 0): one row per "vector"; multiply and add separately, as the scalar kernels do.</summary>
    private readonly struct LanesScalar : ILanes<T>
    {
        public static int Count => 1;

        public static T Zero => T.Zero;

        public static T One => T.One;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Create(T value) => value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Load(ref T source, nuint index) => Unsafe.Add(ref source, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(T value, ref T destination, nuint index) => Unsafe.Add(ref destination, index) = value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Add(T a, T b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Subtract(T a, T b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Multiply(T a, T b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Divide(T a, T b) => a / b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Negate(T a) => -a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T MultiplyAdd(T a, T b, T c) => (a * b) + c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Max(T a, T b) => T.Max(a, b);

        // Masks are all-ones (NaN) or zero bits, selected on the sign of the bit pattern.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T GreaterThan(T a, T b) => a > b ? T.NaN : T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T GreaterThanOrEqual(T a, T b) => a >= b ? T.NaN : T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Equals(T a, T b) => a == b ? T.NaN : T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Select(T mask, T a, T b) => T.IsNaN(mask) ? a : b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Exp(T x) => T.Exp(x);

        public static T SumOfLogs(T v) => T.Log(v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Round(T x) => T.Round(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Min(T a, T b) => T.Min(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Pow2(T n) => T.ScaleB(T.One, int.CreateTruncating(n));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sum(T v) => v;
        public static bool HasGather => false;

        public static unsafe T GatherRows(T* column, int* rows, int first, bool ordered, int stride) => column[(long)(ordered ? rows[0] : first) * stride];

        public static unsafe T GatherLabels(int* labels, int* rows, int first, bool ordered) => T.CreateTruncating(labels[ordered ? rows[0] : first]);
    }

    /// <summary>Horizontal sum of a 128-bit vector in lane order (wider vectors fold their halves first).</summary>
    private static class HorizontalSum
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sum(Vector128<T> v)
        {
            T sum = v.GetElement(0);
            for (int k = 1; k < Vector128<T>.Count; k++)
            {
                sum += v.GetElement(k);
            }

            return sum;
        }
    }
}
