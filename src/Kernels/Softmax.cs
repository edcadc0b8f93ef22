using System.Numerics;

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
            ReadOnlySpan<T> z = logits.Row(i);
            Span<T> p = destination.Row(i);
            T max = Max(z);
            T sum = T.Zero;
            for (int j = 0; j < z.Length; j++)
            {
                p[j] = T.Exp(z[j] - max);
                sum += p[j];
            }

            T inv = T.One / sum;
            for (int j = 0; j < p.Length; j++)
            {
                p[j] *= inv;
            }
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
            Span<T> l = destination.Row(i);
            T max = Max(z);
            T sum = T.Zero;
            for (int j = 0; j < z.Length; j++)
            {
                sum += T.Exp(z[j] - max);
            }

            T shift = max + T.Log(sum);
            for (int j = 0; j < l.Length; j++)
            {
                l[j] = z[j] - shift;
            }
        }
    }

    internal static T Max<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = row[0];
        for (int j = 1; j < row.Length; j++)
        {
            max = T.Max(max, row[j]);
        }

        return max;
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
    {
        Check.ElementType<T>();
        Check.SameShape(logits.Rows, logits.Columns, destination.Rows, destination.Columns, nameof(destination));
        if (logits.Rows > 0 && logits.Columns == 0)
        {
            throw new ArgumentException("Softmax needs at least one column.", nameof(logits));
        }

        if (logits.Stride != destination.Stride)
        {
            Check.NoOverlap(logits.Span, destination.Span, nameof(destination));
        }
        else
        {
            Check.NoPartialOverlap(logits.Span, destination.Span, nameof(destination));
        }
    }
}
