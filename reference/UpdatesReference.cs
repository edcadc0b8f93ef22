using System.Numerics;

namespace Backprop.Reference;

/// <summary>Plain scalar references for <c>Backprop.Kernels.Updates</c>: the documented formulas, one element at a time.</summary>
public static class UpdatesReference
{
    public static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, T learningRate, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < p.Length; i++)
        {
            p[i] -= learningRate * (g[i] + (weightDecay * p[i]));
        }
    }

    public static void Momentum<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> velocity, T learningRate, T momentum, bool nesterov, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < p.Length; i++)
        {
            T decayed = g[i] + (weightDecay * p[i]);
            velocity[i] = (momentum * velocity[i]) + decayed;
            p[i] -= learningRate * (nesterov ? decayed + (momentum * velocity[i]) : velocity[i]);
        }
    }

    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T learningRate, T beta1, T beta2, T epsilon, long step, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c1 = T.One / (T.One - T.Pow(beta1, T.CreateTruncating(step)));
        T c2 = T.One / (T.One - T.Pow(beta2, T.CreateTruncating(step)));
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = (beta1 * m[i]) + ((T.One - beta1) * g[i]);
            v[i] = (beta2 * v[i]) + ((T.One - beta2) * g[i] * g[i]);
            p[i] -= learningRate * (((m[i] * c1) / (T.Sqrt(v[i] * c2) + epsilon)) + (weightDecay * p[i]));
        }
    }

    /// <summary>Adam with the decoupled decay λ on the elements where <paramref name="decayed"/> is true and none elsewhere (AdamW that skips the biases).</summary>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T learningRate, T beta1, T beta2, T epsilon, long step, T weightDecay, ReadOnlySpan<bool> decayed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c1 = T.One / (T.One - T.Pow(beta1, T.CreateTruncating(step)));
        T c2 = T.One / (T.One - T.Pow(beta2, T.CreateTruncating(step)));
        for (int i = 0; i < p.Length; i++)
        {
            T decay = decayed[i] ? weightDecay : T.Zero;
            m[i] = (beta1 * m[i]) + ((T.One - beta1) * g[i]);
            v[i] = (beta2 * v[i]) + ((T.One - beta2) * g[i] * g[i]);
            p[i] -= learningRate * (((m[i] * c1) / (T.Sqrt(v[i] * c2) + epsilon)) + (decay * p[i]));
        }
    }
}
