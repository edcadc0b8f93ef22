using System.Numerics;

namespace Backprop.Reference;

/// <summary>Plain scalar references for <c>Backprop.Kernels.Activations</c>: the formulas, one loop each.</summary>
public static class ActivationsReference
{
    public static void Sigmoid<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < z.Length; i++)
        {
            a[i] = T.One / (T.One + T.Exp(-z[i]));
        }
    }

    public static void SigmoidBackward<T>(ReadOnlySpan<T> da, ReadOnlySpan<T> a, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++)
        {
            dz[i] = da[i] * a[i] * (T.One - a[i]);
        }
    }

    public static void Tanh<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < z.Length; i++)
        {
            a[i] = T.Tanh(z[i]);
        }
    }

    public static void TanhBackward<T>(ReadOnlySpan<T> da, ReadOnlySpan<T> a, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++)
        {
            dz[i] = da[i] * (T.One - (a[i] * a[i]));
        }
    }

    public static void Relu<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < z.Length; i++)
        {
            a[i] = z[i] > T.Zero ? z[i] : T.Zero;
        }
    }

    public static void ReluBackward<T>(ReadOnlySpan<T> da, ReadOnlySpan<T> a, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++)
        {
            dz[i] = a[i] > T.Zero ? da[i] : T.Zero;
        }
    }
}
