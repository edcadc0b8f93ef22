using System.Numerics;

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
        T n = T.CreateTruncating(logits.Rows);
        T invN = T.One / n;
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            Span<T> g = gradient.Row(i);
            T max = Softmax.Max(z);
            T sum = T.Zero;
            for (int j = 0; j < z.Length; j++)
            {
                sum += T.Exp(z[j] - max);
            }

            T logSum = T.Log(sum);
            total += logSum - (z[targets[i]] - max);
            T scale = invN / sum;
            int target = targets[i];
            for (int j = 0; j < z.Length; j++)
            {
                g[j] = (T.Exp(z[j] - max) * scale) - (j == target ? invN : T.Zero);
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
        Check.ElementType<T>();
        Check.SameShape(logits.Rows, logits.Columns, targets.Rows, targets.Columns, nameof(targets));
        ValidateGradient(logits, gradient);
        Check.NoOverlap(targets.Span, gradient.Span, nameof(gradient));
        T invN = T.One / T.CreateTruncating(logits.Rows);
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            ReadOnlySpan<T> y = targets.Row(i);
            Span<T> g = gradient.Row(i);
            T max = Softmax.Max(z);
            T sum = T.Zero;
            for (int j = 0; j < z.Length; j++)
            {
                sum += T.Exp(z[j] - max);
            }

            T logSum = T.Log(sum);
            T scale = invN / sum;
            for (int j = 0; j < z.Length; j++)
            {
                T shifted = z[j] - max;
                if (y[j] != T.Zero)
                {
                    total += y[j] * (logSum - shifted);
                }

                g[j] = (T.Exp(shifted) * scale) - (y[j] * invN);
            }
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
        T total = T.Zero;
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            T max = Softmax.Max(z);
            T sum = T.Zero;
            for (int j = 0; j < z.Length; j++)
            {
                sum += T.Exp(z[j] - max);
            }

            total += T.Log(sum) - (z[targets[i]] - max);
        }

        return total / T.CreateTruncating(logits.Rows);
    }

    private static void ValidateTargets<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> targets)
    {
        Check.ElementType<T>();
        if (logits.Rows == 0 || logits.Columns == 0)
        {
            throw new ArgumentException($"Cross-entropy needs at least one row and one column; got {logits.Rows}×{logits.Columns}.", nameof(logits));
        }

        Check.Length(targets.Length, logits.Rows, nameof(targets));
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
        Check.SameShape(logits.Rows, logits.Columns, gradient.Rows, gradient.Columns, nameof(gradient));
        if (logits.Stride != gradient.Stride)
        {
            Check.NoOverlap(logits.Span, gradient.Span, nameof(gradient));
        }
        else
        {
            Check.NoPartialOverlap(logits.Span, gradient.Span, nameof(gradient));
        }
    }
}
