using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// Fused softmax + categorical cross-entropy. The loss of row i is <c>logsumexp(zᵢ) − zᵢ[tᵢ]</c>
/// (never <c>−log(softmax)</c>, which overflows when a probability underflows), and the gradient
/// <c>dZ = (softmax(Z) − Y) / N</c> is written in the same pass. Finite for every finite logit.
/// </summary>
public static class CrossEntropy
{
    /// <summary>Mean loss over the rows, and its gradient with respect to the logits, for class-index targets.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (N, classes), N ≥ 1.</param>
    /// <param name="targets">The class of each row, in [0, classes). Length N.</param>
    /// <param name="gradient">dZ, same shape as Z; may be the same memory as <paramref name="logits"/>.</param>
    /// <returns>The mean cross-entropy over the N rows.</returns>
    public static T SoftmaxCrossEntropy<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets, MatrixSpan<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateTargets(logits, targets);
        ValidateGradient(logits, gradient);
        return SoftmaxCrossEntropyCore(logits, targets, gradient, T.Zero);
    }

    /// <summary>
    /// Mean loss and gradient for class-index targets with label smoothing ε: each row's target is
    /// <c>Y_smooth = (1 − ε) · onehot(t) + ε / K</c> over the K classes, so the loss of row i is
    /// <c>logsumexp(zᵢ) − (1 − ε) · zᵢ[tᵢ] − (ε / K) · Σⱼ zᵢ[j]</c> (evaluated as
    /// <c>log Σ e^(z − max) − (1 − ε)(z[t] − max) − (ε / K) Σⱼ (zⱼ − max)</c>, three terms ≥ 0, nothing
    /// cancels) and the gradient <c>dZ = (softmax(Z) − Y_smooth) / N</c>, in the same fused pass as the
    /// unsmoothed form. ε = 0 gives exactly <see cref="SoftmaxCrossEntropy{T}(ReadOnlyMatrixSpan{T}, ReadOnlySpan{int}, MatrixSpan{T})"/>.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (N, classes), N ≥ 1.</param>
    /// <param name="targets">The class of each row, in [0, classes). Length N.</param>
    /// <param name="gradient">dZ, same shape as Z; may be the same memory as <paramref name="logits"/>.</param>
    /// <param name="labelSmoothing">ε in [0, 1): the probability mass spread evenly over all classes.</param>
    /// <returns>The mean smoothed cross-entropy over the N rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1) or NaN, or a target is out of range.</exception>
    public static T SoftmaxCrossEntropy<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets, MatrixSpan<T> gradient, T labelSmoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateTargets(logits, targets);
        ValidateGradient(logits, gradient);
        if (!(labelSmoothing >= T.Zero && labelSmoothing < T.One))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Expected a label smoothing ε in [0, 1).");
        }

        return SoftmaxCrossEntropyCore(logits, targets, gradient, labelSmoothing);
    }

    private static T SoftmaxCrossEntropyCore<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets, MatrixSpan<T> gradient, T smoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T invN = T.One / T.CreateTruncating(logits.Rows);
        if (Softmax.IsNarrow<T>(logits.Columns))
        {
            return NarrowSoftmaxCrossEntropy(logits, targets, gradient, invN, smoothing);
        }

        bool smooth = smoothing != T.Zero;
        T keep = T.One - smoothing;
        T perClass = smoothing / T.CreateTruncating(logits.Columns);
        T offset = perClass * invN;
        T targetStep = keep * invN;
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            Span<T> g = gradient.Row(i);
            int target = targets[i];
            T max = Softmax.Max(z);
            T shiftedTarget = z[target] - max; // read before g, which may be z, is written
            if (!smooth)
            {
                // One exponential per element: e^(z − max) goes into g, and is then scaled in place.
                T sum = ElementwiseDriver.MapSum(z, g, new Softmax.ExpShiftedOperator<T>(max));
                total += T.Log(sum) - shiftedTarget;
                ElementwiseDriver.Map(g, g, new Softmax.ScaleOperator<T>(invN / sum));
                g[target] -= invN;
            }
            else
            {
                T shiftedSum = ElementwiseDriver.Sum(z, new ShiftOperator<T>(max)); // ≤ 0, read before g is written
                T sum = ElementwiseDriver.MapSum(z, g, new Softmax.ExpShiftedOperator<T>(max));
                total += T.Log(sum) - (keep * shiftedTarget) - (perClass * shiftedSum);
                ElementwiseDriver.Map(g, g, new ScaleOffsetOperator<T>(invN / sum, offset));
                g[target] -= targetStep;
            }
        }

        return total * invN;
    }

    /// <summary>Mean loss and gradient for target probability rows (one-hot or soft labels; each row should sum to 1).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (N, classes), N ≥ 1.</param>
    /// <param name="targets">Y, same shape as Z.</param>
    /// <param name="gradient">dZ, same shape as Z; may be the same memory as <paramref name="logits"/>.</param>
    /// <returns>The mean cross-entropy <c>(1/N) Σᵢ Σⱼ Y[i, j] · (logsumexp(zᵢ) − Z[i, j])</c>.</returns>
    public static T SoftmaxCrossEntropy<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlyMatrixSpan<T> targets, MatrixSpan<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.NotEmpty(logits, "Cross-entropy", nameof(logits));
        KernelArguments.SameShape(logits.Rows, logits.Columns, targets.Rows, targets.Columns, nameof(targets));
        ValidateGradient(logits, gradient);
        KernelArguments.NoOverlap(targets, gradient, nameof(gradient));
        T invN = T.One / T.CreateTruncating(logits.Rows);
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            ReadOnlySpan<T> y = targets.Row(i);
            Span<T> g = gradient.Row(i);
            T max = Softmax.Max(z);

            // Σⱼ yⱼ (logsumexp − zⱼ) = log(sum) · Σⱼ yⱼ − Σⱼ yⱼ (zⱼ − max); both parts ≥ 0 for
            // probability rows, so nothing cancels. Read z before g, which may be z, is written.
            T weighted = ElementwiseDriver.Sum(z, y, new WeightedShiftOperator<T>(max));
            T mass = ElementwiseDriver.Sum(y, default(IdentityOperator<T>));
            T sum = ElementwiseDriver.MapSum(z, g, new Softmax.ExpShiftedOperator<T>(max));
            total += (T.Log(sum) * mass) - weighted;
            ElementwiseDriver.Map(g, y, g, new GradientOperator<T>(invN / sum, invN));
        }

        return total * invN;
    }

    /// <summary>Mean loss only (evaluation), for class-index targets; writes nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (N, classes), N ≥ 1.</param>
    /// <param name="targets">The class of each row, in [0, classes). Length N.</param>
    /// <returns>The mean cross-entropy over the N rows.</returns>
    public static T SoftmaxCrossEntropyLoss<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateTargets(logits, targets);
        if (Softmax.IsNarrow<T>(logits.Columns))
        {
            return NarrowSoftmaxCrossEntropy(logits, targets, default, T.Zero, T.Zero) / T.CreateTruncating(logits.Rows);
        }

        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            T max = Softmax.Max(z);
            total += T.Log(Softmax.SumExpShifted(z, max)) - (z[targets[i]] - max);
        }

        return total / T.CreateTruncating(logits.Rows);
    }

    /// <summary>Mean loss only (evaluation), for target probability rows; writes nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (N, classes), N ≥ 1.</param>
    /// <param name="targets">Y, same shape as Z.</param>
    /// <returns>The mean cross-entropy <c>(1/N) Σᵢ Σⱼ Y[i, j] · (logsumexp(zᵢ) − Z[i, j])</c>.</returns>
    public static T SoftmaxCrossEntropyLoss<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlyMatrixSpan<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.NotEmpty(logits, "Cross-entropy", nameof(logits));
        KernelArguments.SameShape(logits.Rows, logits.Columns, targets.Rows, targets.Columns, nameof(targets));
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            ReadOnlySpan<T> y = targets.Row(i);
            T max = Softmax.Max(z);
            T weighted = ElementwiseDriver.Sum(z, y, new WeightedShiftOperator<T>(max));
            T mass = ElementwiseDriver.Sum(y, default(IdentityOperator<T>));
            total += (T.Log(Softmax.SumExpShifted(z, max)) * mass) - weighted;
        }

        return total / T.CreateTruncating(logits.Rows);
    }

    /// <summary>
    /// Rows shorter than a vector, in chunks (see Softmax's narrow forms): the loss terms
    /// <c>log(sum) − (z[t] − max)</c> and the gradient scales <c>invN / sum</c> a vector of rows at a
    /// time. Returns the sum of the loss terms (not the mean) when <paramref name="gradient"/> is
    /// empty (loss only), else the mean, with the gradient written as in the row-by-row form.
    /// </summary>
    private static T NarrowSoftmaxCrossEntropy<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets, MatrixSpan<T> gradient, T invN, T smoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512)
        {
            return NarrowSoftmaxCrossEntropy<T, Vector512<T>, Simd512<T>>(logits, targets, gradient, invN, smoothing);
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256)
        {
            return NarrowSoftmaxCrossEntropy<T, Vector256<T>, Simd256<T>>(logits, targets, gradient, invN, smoothing);
        }

        return NarrowSoftmaxCrossEntropy<T, Vector128<T>, Simd128<T>>(logits, targets, gradient, invN, smoothing);
    }

    private static T NarrowSoftmaxCrossEntropy<T, TV, TW>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets, MatrixSpan<T> gradient, T invN, T smoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int n = logits.Columns;
        int rowsPerChunk = Softmax.RowsPerChunk(n);
        int width = TW.Count;
        bool lossOnly = gradient.IsEmpty;
        bool smooth = smoothing != T.Zero;
        T keep = T.One - smoothing;
        T perClass = smoothing / T.CreateTruncating(n);
        T offset = perClass * invN;
        T targetStep = smooth ? keep * invN : invN;
        Span<T> e = stackalloc T[Softmax.ChunkElements];
        Span<T> shifted = stackalloc T[Softmax.ChunkRows];
        Span<T> sums = stackalloc T[Softmax.ChunkRows];
        ref T shr = ref MemoryMarshal.GetReference(shifted);
        ref T sr = ref MemoryMarshal.GetReference(sums);
        TV total = TW.Zero;
        TV vInvN = TW.Create(invN);
        for (int first = 0; first < logits.Rows; first += rowsPerChunk)
        {
            int count = Math.Min(rowsPerChunk, logits.Rows - first);
            // shifted[i] = z[t] − max, read before the gradient (which may be the logits) is written.
            Softmax.ExpShiftedChunk(logits, first, count, e, shifted, sums, targets);
            if (smooth)
            {
                // The smoothed target's part: shifted[i] becomes (1 − ε)(z[t] − max) + (ε / K) Σⱼ (zⱼ − max),
                // read from the logits before the gradient (which may be them) is written.
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<T> z = logits.Row(first + i);
                    T max = z[0];
                    for (int j = 1; j < n; j++)
                    {
                        max = T.MaxNative(max, z[j]);
                    }

                    T shiftedSum = T.Zero;
                    for (int j = 0; j < n; j++)
                    {
                        shiftedSum += z[j] - max;
                    }

                    shifted[i] = (keep * shifted[i]) + (perClass * shiftedSum);
                }
            }

            // The last vector may reach past count (never past ChunkRows, a multiple of every
            // width); those lanes are masked out of the loss and their scales never read.
            for (int k = 0; k < count; k += width)
            {
                TV sum = TW.Load(ref sr, (nuint)k);
                TV term = TW.Subtract(TW.Log(sum), TW.Load(ref shr, (nuint)k));
                total = TW.Add(total, count - k >= width ? term : TW.Select(TW.LeadingMask(count - k), term, TW.Zero));
                if (!lossOnly)
                {
                    TW.Store(TW.Divide(vInvN, sum), ref sr, (nuint)k);
                }
            }

            if (lossOnly)
            {
                continue;
            }

            // Targets were checked, and the chunk lies inside the gradient: no bounds checks per row.
            ref T g = ref MemoryMarshal.GetReference(gradient.Span[(first * gradient.Stride)..]);
            ref T er = ref MemoryMarshal.GetReference(e);
            ref T scales = ref MemoryMarshal.GetReference(sums);
            ref int t = ref MemoryMarshal.GetReference(targets[first..]);
            nint stride = gradient.Stride;
            for (int i = 0; i < count; i++)
            {
                ref T gi = ref Unsafe.Add(ref g, i * stride);
                ref T ei = ref Unsafe.Add(ref er, i * n);
                T scale = Unsafe.Add(ref scales, i);
                if (smooth)
                {
                    for (int j = 0; j < n; j++)
                    {
                        Unsafe.Add(ref gi, j) = (Unsafe.Add(ref ei, j) * scale) - offset;
                    }
                }
                else
                {
                    for (int j = 0; j < n; j++)
                    {
                        Unsafe.Add(ref gi, j) = Unsafe.Add(ref ei, j) * scale;
                    }
                }

                Unsafe.Add(ref gi, Unsafe.Add(ref t, i)) -= targetStep;
            }
        }

        T loss = TW.Sum(total);
        return lossOnly ? loss : loss * invN;
    }

    private static void ValidateTargets<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.NotEmpty(logits, "Cross-entropy", nameof(logits));

        KernelArguments.Length(targets.Length, logits.Rows, nameof(targets));
        for (int i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)logits.Columns)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"Target {i} is {targets[i]}; expected a class in [0, {logits.Columns}).");
            }
        }
    }

    private static void ValidateGradient<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> gradient)
    {
        KernelArguments.SameShape(logits.Rows, logits.Columns, gradient.Rows, gradient.Columns, nameof(gradient));
        KernelArguments.SameOrDisjoint(logits, gradient, nameof(gradient));
    }

    /// <summary><c>y · (z − max)</c>, and 0 where y = 0 (even if z − max overflowed to −∞).</summary>
    private readonly struct WeightedShiftOperator<T>(T max) : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _max = max;

        public T Invoke(T z, T y) => y != T.Zero ? y * (z - _max) : T.Zero;

        public Vector128<T> Invoke(Vector128<T> z, Vector128<T> y) =>
            Vector128.ConditionalSelect(Vector128.Equals(y, Vector128<T>.Zero), Vector128<T>.Zero, y * (z - Vector128.Create(_max)));

        public Vector256<T> Invoke(Vector256<T> z, Vector256<T> y) =>
            Vector256.ConditionalSelect(Vector256.Equals(y, Vector256<T>.Zero), Vector256<T>.Zero, y * (z - Vector256.Create(_max)));

        public Vector512<T> Invoke(Vector512<T> z, Vector512<T> y) =>
            Vector512.ConditionalSelect(Vector512.Equals(y, Vector512<T>.Zero), Vector512<T>.Zero, y * (z - Vector512.Create(_max)));
    }

    /// <summary><c>z − max</c>.</summary>
    private readonly struct ShiftOperator<T>(T max) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _max = max;

        public T Invoke(T x) => x - _max;

        public Vector128<T> Invoke(Vector128<T> x) => x - Vector128.Create(_max);

        public Vector256<T> Invoke(Vector256<T> x) => x - Vector256.Create(_max);

        public Vector512<T> Invoke(Vector512<T> x) => x - Vector512.Create(_max);
    }

    /// <summary><c>e · scale − offset</c>: the smoothed softmax-CE gradient off the target from the stored exponential e.</summary>
    private readonly struct ScaleOffsetOperator<T>(T scale, T offset) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _scale = scale;
        private readonly T _offset = offset;

        public T Invoke(T e) => (e * _scale) - _offset;

        public Vector128<T> Invoke(Vector128<T> e) => (e * _scale) - Vector128.Create(_offset);

        public Vector256<T> Invoke(Vector256<T> e) => (e * _scale) - Vector256.Create(_offset);

        public Vector512<T> Invoke(Vector512<T> e) => (e * _scale) - Vector512.Create(_offset);
    }

    /// <summary><c>e · (1 / (N · sum)) − y / N</c>: the softmax-CE gradient from the stored exponential e.</summary>
    private readonly struct GradientOperator<T>(T scale, T invN) : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _scale = scale;
        private readonly T _invN = invN;

        public T Invoke(T e, T y) => (e * _scale) - (y * _invN);

        public Vector128<T> Invoke(Vector128<T> e, Vector128<T> y) => (e * _scale) - (y * _invN);

        public Vector256<T> Invoke(Vector256<T> e, Vector256<T> y) => (e * _scale) - (y * _invN);

        public Vector512<T> Invoke(Vector512<T> e, Vector512<T> y) => (e * _scale) - (y * _invN);
    }
}
