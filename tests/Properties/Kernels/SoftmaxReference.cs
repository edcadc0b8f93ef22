using System.Numerics;

namespace Backprop.Properties.Kernels;

/// <summary>Plain scalar references for <see cref="Backprop.Kernels.Softmax"/>, one row at a time.</summary>
internal static class SoftmaxReference
{
    public static T Max<T>(ReadOnlySpan<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = z[0];
        foreach (T v in z)
        {
            max = T.Max(max, v);
        }

        return max;
    }

    public static void Forward<T>(ReadOnlySpan<T> z, Span<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = Max(z);
        T sum = T.Zero;
        foreach (T v in z)
        {
            sum += T.Exp(v - max);
        }

        for (int j = 0; j < z.Length; j++)
        {
            p[j] = T.Exp(z[j] - max) / sum;
        }
    }

    public static void LogForward<T>(ReadOnlySpan<T> z, Span<T> l)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = Max(z);
        T sum = T.Zero;
        foreach (T v in z)
        {
            sum += T.Exp(v - max);
        }

        for (int j = 0; j < z.Length; j++)
        {
            l[j] = z[j] - max - T.Log(sum);
        }
    }
}
