using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// Row-wise softmax and log-softmax, numerically stable: each row's maximum (seeded from the row
/// itself) is subtracted before exponentiating, so no finite logit overflows.
/// </summary>
public static class Softmax
{
    /// <summary><c>P[i, j] = e^(Z[i, j] − mᵢ) / Σₖ e^(Z[i, k] − mᵢ)</c> with <c>mᵢ = maxₖ Z[i, k]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (rows, classes).</param>
    /// <param name="destination">P, same shape; may be the same memory as <paramref name="logits"/>.</param>
    public static void Forward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(logits, destination);
        for (int i = 0; i < logits.Rows; i++)
        {
            Span<T> p = destination.Row(i);
            T sum = ExpShifted(logits.Row(i), p);
            ElementwiseDriver.Map(p, p, new ScaleOperator<T>(T.One / sum));
        }
    }

    /// <summary><c>L[i, j] = Z[i, j] − mᵢ − log Σₖ e^(Z[i, k] − mᵢ)</c>; finite for every finite input.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (rows, classes).</param>
    /// <param name="destination">log P, same shape; may be the same memory as <paramref name="logits"/>.</param>
    public static void LogForward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(logits, destination);
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            T max = Max(z);
            T shift = max + T.Log(SumExpShifted(z, max));
            ElementwiseDriver.Map(z, destination.Row(i), new SubtractOperator<T>(shift));
        }
    }

    /// <summary>The largest element of a non-empty row (NaN or not when the row holds a NaN; then the row's results are NaN anyway).</summary>
    internal static T Max<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T r = ref MemoryMarshal.GetReference(row);
        nuint n = (nuint)row.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            T max = r;
            for (nuint j = 1; j < n; j++)
            {
                max = T.Max(max, Unsafe.Add(ref r, j));
            }

            return max;
        }

        // Max is idempotent, so the final vector may simply overlap the previous one. MaxNative is
        // one instruction (Max's NaN/−0 handling takes three, on a dependency chain); a NaN it may
        // skip still turns the row's exponential sum, and so every result, into NaN.
        Vector<T> acc0 = Vector.LoadUnsafe(ref r);
        Vector<T> acc1 = Vector.LoadUnsafe(ref r, n - width);
        Vector<T> acc2 = acc0;
        Vector<T> acc3 = acc1;
        nuint i = width;
        for (; i + (4 * width) <= n; i += 4 * width)
        {
            acc0 = Vector.MaxNative(acc0, Vector.LoadUnsafe(ref r, i));
            acc1 = Vector.MaxNative(acc1, Vector.LoadUnsafe(ref r, i + width));
            acc2 = Vector.MaxNative(acc2, Vector.LoadUnsafe(ref r, i + (2 * width)));
            acc3 = Vector.MaxNative(acc3, Vector.LoadUnsafe(ref r, i + (3 * width)));
        }

        for (; i + width <= n; i += width)
        {
            acc0 = Vector.MaxNative(acc0, Vector.LoadUnsafe(ref r, i));
        }

        return VectorMath.HorizontalMax(Vector.Max(Vector.Max(acc0, acc1), Vector.Max(acc2, acc3)));
    }

    /// <summary><c>Σⱼ e^(row[j] − max)</c>.</summary>
    internal static T SumExpShifted<T>(ReadOnlySpan<T> row, T max)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseDriver.Sum(row, new ExpShiftedOperator<T>(max));

    /// <summary>
    /// Writes <c>destination[j] = e^(row[j] − max(row))</c> and returns their sum (≥ 1 for finite rows);
    /// <paramref name="destination"/> may be exactly <paramref name="row"/>.
    /// </summary>
    internal static T ExpShifted<T>(ReadOnlySpan<T> row, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseDriver.MapSum(row, destination, new ExpShiftedOperator<T>(Max(row)));

    private static void Validate<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
    {
        Check.ElementType<T>();
        Check.SameShape(logits.Rows, logits.Columns, destination.Rows, destination.Columns, nameof(destination));
        if (logits.Rows > 0 && logits.Columns == 0)
        {
            throw new ArgumentException("Softmax needs at least one column.", nameof(logits));
        }

        Check.SameOrDisjoint(logits, destination, nameof(destination));
    }

    /// <summary><c>e^(x − shift)</c>.</summary>
    internal readonly struct ExpShiftedOperator<T>(T shift) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _shift = shift;

        public T Invoke(T x) => T.Exp(x - _shift);

        public Vector<T> Invoke(Vector<T> x) => VectorMath.Exp(x - new Vector<T>(_shift));
    }

    /// <summary><c>x · scale</c>.</summary>
    internal readonly struct ScaleOperator<T>(T scale) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _scale = scale;

        public T Invoke(T x) => x * _scale;

        public Vector<T> Invoke(Vector<T> x) => x * _scale;
    }

    /// <summary><c>x − shift</c>.</summary>
    private readonly struct SubtractOperator<T>(T shift) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _shift = shift;

        public T Invoke(T x) => x - _shift;

        public Vector<T> Invoke(Vector<T> x) => x - new Vector<T>(_shift);
    }
}
