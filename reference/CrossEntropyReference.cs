using System.Numerics;

namespace Backprop.Reference;

/// <summary>
/// Plain scalar references for softmax cross-entropy over dense rows × n arrays:
/// loss = mean over rows of Σⱼ yⱼ · (logsumexp(z) − zⱼ), gradient = (softmax(z) − y) / N.
/// </summary>
public static class CrossEntropyReference
{
    /// <summary>Class-index targets: y is one-hot at <c>targets[i]</c>. Allocates nothing.</summary>
    public static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<int> targets, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Loss(z, rows, n, targets, default, gradient);

    /// <summary>Probability-row targets (rows × n).</summary>
    public static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<T> y, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Loss(z, rows, n, default, y, gradient);

    /// <summary>
    /// Class-index targets with label smoothing ε: y = (1 − ε)·onehot(<c>targets[i]</c>) + ε/n, i.e. the
    /// probability-row loss on the smoothed rows. Allocates nothing.
    /// </summary>
    public static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<int> targets, T labelSmoothing, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Loss(z, rows, n, targets, default, gradient, labelSmoothing);

    /// <summary>Row-major <c>double[rows, classes]</c> logits and class-index targets: the mean loss only.</summary>
    public static double MeanLoss(double[,] z, ReadOnlySpan<int> targets)
    {
        int rows = z.GetLength(0), n = z.GetLength(1);
        double[] flat = new double[z.Length];
        Buffer.BlockCopy(z, 0, flat, 0, flat.Length * sizeof(double));
        return Loss<double>(flat, rows, n, targets, default, new double[flat.Length]);
    }

    /// <summary>The one loop: targets are class indices when <paramref name="targets"/> is not empty, else the rows of <paramref name="y"/>.</summary>
    private static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<int> targets, ReadOnlySpan<T> y, Span<T> gradient, T smoothing = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T spread = smoothing / T.CreateTruncating(n);
        T count = T.CreateTruncating(rows);
        T total = T.Zero;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> zi = z.Slice(i * n, n);
            T max = SoftmaxReference.Max(zi);
            T sum = SoftmaxReference.SumExp(zi, max);

            T logSumExp = max + T.Log(sum);
            for (int j = 0; j < n; j++)
            {
                T yj = targets.IsEmpty ? y[(i * n) + j] : (targets[i] == j ? T.One - smoothing : T.Zero) + spread;
                if (yj != T.Zero)
                {
                    total += yj * (logSumExp - zi[j]);
                }

                gradient[(i * n) + j] = ((T.Exp(zi[j] - max) / sum) - yj) / count;
            }
        }

        return total / count;
    }
}
