using System.Numerics;

namespace Backprop.Reference;

/// <summary>Plain scalar references for <c>Backprop.Kernels.Softmax</c>, one row at a time.</summary>
public static class SoftmaxReference
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

    /// <summary>Σⱼ e^(zⱼ − max).</summary>
    public static T SumExp<T>(ReadOnlySpan<T> z, T max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        foreach (T v in z)
        {
            sum += T.Exp(v - max);
        }

        return sum;
    }

    public static void Forward<T>(ReadOnlySpan<T> z, Span<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = Max(z);
        T sum = SumExp(z, max);
        for (int j = 0; j < z.Length; j++)
        {
            p[j] = T.Exp(z[j] - max) / sum;
        }
    }

    public static void LogForward<T>(ReadOnlySpan<T> z, Span<T> l)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = Max(z);
        T logSum = T.Log(SumExp(z, max));
        for (int j = 0; j < z.Length; j++)
        {
            l[j] = z[j] - max - logSum;
        }
    }
}
