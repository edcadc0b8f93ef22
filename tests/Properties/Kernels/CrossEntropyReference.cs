using System.Numerics;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Plain scalar references for <see cref="Backprop.Kernels.CrossEntropy"/> over dense rows × n arrays:
/// loss = mean over rows of Σⱼ yⱼ · (logsumexp(z) − zⱼ), gradient = (softmax(z) − y) / N.
/// </summary>
internal static class CrossEntropyReference
{
    /// <summary>Class-index targets: y is one-hot at <c>targets[i]</c>.</summary>
    public static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<int> targets, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] y = new T[rows * n];
        for (int i = 0; i < rows; i++)
        {
            y[(i * n) + targets[i]] = T.One;
        }

        return Loss(z, rows, n, y, gradient);
    }

    /// <summary>Probability-row targets.</summary>
    public static T Loss<T>(ReadOnlySpan<T> z, int rows, int n, ReadOnlySpan<T> y, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(rows);
        T total = T.Zero;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> zi = z.Slice(i * n, n);
            T max = SoftmaxReference.Max(zi);
            T sum = T.Zero;
            foreach (T v in zi)
            {
                sum += T.Exp(v - max);
            }

            T logSumExp = max + T.Log(sum);
            for (int j = 0; j < n; j++)
            {
                T yj = y[(i * n) + j];
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
