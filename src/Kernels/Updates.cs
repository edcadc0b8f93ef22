using System.Numerics;

namespace Backprop.Kernels;

/// <summary>
/// Parameter-update kernels for the optimisers, each one fused pass over a flat parameter buffer.
/// Weight decay is L2 (added to the gradient) for SGD and momentum, and decoupled (AdamW) for Adam.
/// </summary>
public static class Updates
{
    /// <summary><c>y += α · x</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="alpha">Scale of <paramref name="x"/>.</param>
    /// <param name="x">The addend.</param>
    /// <param name="y">Updated in place; same length as <paramref name="x"/>; may be the same span.</param>
    public static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(y.Length, x.Length, nameof(y));
        Check.NoPartialOverlap(x, y, nameof(y));
        for (int i = 0; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>Plain gradient descent: <c>θ −= η · (g + λ·θ)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    public static void SgdStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(gradients.Length, parameters.Length, nameof(gradients));
        Check.NoOverlap(gradients, parameters, nameof(parameters));
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] -= learningRate * (gradients[i] + (weightDecay * parameters[i]));
        }
    }

    /// <summary>
    /// Momentum (heavy-ball, or Nesterov): <c>g' = g + λθ; v = μ·v + g'; θ −= η · (nesterov ? g' + μ·v : v)</c>.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="velocity">v, updated in place; same length; starts at 0.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="momentum">μ, in [0, 1).</param>
    /// <param name="nesterov">Use the Nesterov form.</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    public static void MomentumStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> velocity, T learningRate, T momentum, bool nesterov, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(gradients.Length, parameters.Length, nameof(gradients));
        Check.Length(velocity.Length, parameters.Length, nameof(velocity));
        Check.NoOverlap(gradients, parameters, nameof(parameters));
        Check.NoOverlap(gradients, velocity, nameof(velocity));
        Check.NoOverlap((ReadOnlySpan<T>)velocity, parameters, nameof(parameters));
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradients[i] + (weightDecay * parameters[i]);
            T v = (momentum * velocity[i]) + g;
            velocity[i] = v;
            parameters[i] -= learningRate * (nesterov ? g + (momentum * v) : v);
        }
    }

    /// <summary>
    /// Adam with decoupled weight decay (AdamW):
    /// <c>m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; θ −= η · ( m̂ / (√v̂ + ε) + λθ )</c>,
    /// with <c>m̂ = m / (1 − β₁ᵗ)</c> and <c>v̂ = v / (1 − β₂ᵗ)</c>.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="firstMoment">m, updated in place; starts at 0.</param>
    /// <param name="secondMoment">v, updated in place; starts at 0.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="beta1">β₁, in [0, 1).</param>
    /// <param name="beta2">β₂, in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="step">t, the 1-based number of this step (for bias correction).</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    public static void AdamStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> firstMoment, Span<T> secondMoment, T learningRate, T beta1, T beta2, T epsilon, long step, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(gradients.Length, parameters.Length, nameof(gradients));
        Check.Length(firstMoment.Length, parameters.Length, nameof(firstMoment));
        Check.Length(secondMoment.Length, parameters.Length, nameof(secondMoment));
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        T c1 = T.One / (T.One - T.Pow(beta1, T.CreateTruncating(step)));
        T c2 = T.One / (T.One - T.Pow(beta2, T.CreateTruncating(step)));
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradients[i];
            T m = (beta1 * firstMoment[i]) + ((T.One - beta1) * g);
            T v = (beta2 * secondMoment[i]) + ((T.One - beta2) * g * g);
            firstMoment[i] = m;
            secondMoment[i] = v;
            parameters[i] -= learningRate * (((m * c1) / (T.Sqrt(v * c2) + epsilon)) + (weightDecay * parameters[i]));
        }
    }
}
