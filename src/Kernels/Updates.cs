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
        ElementwiseDriver.Update(y, x, new AxpyOperator<T>(alpha));
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
        ElementwiseDriver.Update(parameters, gradients, new SgdOperator<T>(learningRate, weightDecay));
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
        if (nesterov)
        {
            ElementwiseDriver.Update(parameters, gradients, velocity, new NesterovOperator<T>(learningRate, momentum, weightDecay));
        }
        else
        {
            ElementwiseDriver.Update(parameters, gradients, velocity, new MomentumOperator<T>(learningRate, momentum, weightDecay));
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
        Check.NoOverlap(gradients, parameters, nameof(parameters));
        Check.NoOverlap(gradients, firstMoment, nameof(firstMoment));
        Check.NoOverlap(gradients, secondMoment, nameof(secondMoment));
        Check.NoOverlap((ReadOnlySpan<T>)firstMoment, parameters, nameof(parameters));
        Check.NoOverlap((ReadOnlySpan<T>)secondMoment, parameters, nameof(parameters));
        Check.NoOverlap((ReadOnlySpan<T>)firstMoment, secondMoment, nameof(secondMoment));
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        T c1 = T.One / (T.One - T.Pow(beta1, T.CreateTruncating(step)));
        T c2 = T.One / (T.One - T.Pow(beta2, T.CreateTruncating(step)));
        ElementwiseDriver.Update(parameters, gradients, firstMoment, secondMoment, new AdamOperator<T>(learningRate, beta1, beta2, epsilon, weightDecay, c1, c2));
    }

    // Each operator evaluates exactly the documented formula in the same order in scalar and vector
    // form (no fused multiply-add), so every path agrees with a plain loop bit for bit.
    private readonly struct AxpyOperator<T>(T alpha) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _alpha = alpha;

        public T Invoke(T y, T x) => y + (_alpha * x);

        public Vector<T> Invoke(Vector<T> y, Vector<T> x) => y + (x * _alpha);
    }

    private readonly struct SgdOperator<T>(T learningRate, T weightDecay) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _learningRate = learningRate;
        private readonly T _weightDecay = weightDecay;

        public T Invoke(T p, T g) => p - (_learningRate * (g + (_weightDecay * p)));

        public Vector<T> Invoke(Vector<T> p, Vector<T> g) => p - ((g + (p * _weightDecay)) * _learningRate);
    }

    private readonly struct MomentumOperator<T>(T learningRate, T momentum, T weightDecay) : IUpdateOperator1<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _learningRate = learningRate;
        private readonly T _momentum = momentum;
        private readonly T _weightDecay = weightDecay;

        public T Invoke(T p, T g, ref T velocity)
        {
            T v = (_momentum * velocity) + (g + (_weightDecay * p));
            velocity = v;
            return p - (_learningRate * v);
        }

        public Vector<T> Invoke(Vector<T> p, Vector<T> g, ref Vector<T> velocity)
        {
            Vector<T> v = (velocity * _momentum) + (g + (p * _weightDecay));
            velocity = v;
            return p - (v * _learningRate);
        }
    }

    private readonly struct NesterovOperator<T>(T learningRate, T momentum, T weightDecay) : IUpdateOperator1<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _learningRate = learningRate;
        private readonly T _momentum = momentum;
        private readonly T _weightDecay = weightDecay;

        public T Invoke(T p, T g, ref T velocity)
        {
            T decayed = g + (_weightDecay * p);
            T v = (_momentum * velocity) + decayed;
            velocity = v;
            return p - (_learningRate * (decayed + (_momentum * v)));
        }

        public Vector<T> Invoke(Vector<T> p, Vector<T> g, ref Vector<T> velocity)
        {
            Vector<T> decayed = g + (p * _weightDecay);
            Vector<T> v = (velocity * _momentum) + decayed;
            velocity = v;
            return p - ((decayed + (v * _momentum)) * _learningRate);
        }
    }

    private readonly struct AdamOperator<T>(T learningRate, T beta1, T beta2, T epsilon, T weightDecay, T c1, T c2) : IUpdateOperator2<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _learningRate = learningRate;
        private readonly T _beta1 = beta1;
        private readonly T _beta2 = beta2;
        private readonly T _oneMinusBeta1 = T.One - beta1;
        private readonly T _oneMinusBeta2 = T.One - beta2;
        private readonly T _epsilon = epsilon;
        private readonly T _weightDecay = weightDecay;
        private readonly T _c1 = c1;
        private readonly T _c2 = c2;

        public T Invoke(T p, T g, ref T firstMoment, ref T secondMoment)
        {
            T m = (_beta1 * firstMoment) + (_oneMinusBeta1 * g);
            T v = (_beta2 * secondMoment) + (_oneMinusBeta2 * g * g);
            firstMoment = m;
            secondMoment = v;
            return p - (_learningRate * (((m * _c1) / (T.Sqrt(v * _c2) + _epsilon)) + (_weightDecay * p)));
        }

        public Vector<T> Invoke(Vector<T> p, Vector<T> g, ref Vector<T> firstMoment, ref Vector<T> secondMoment)
        {
            Vector<T> m = (firstMoment * _beta1) + (g * _oneMinusBeta1);
            Vector<T> v = (secondMoment * _beta2) + (g * _oneMinusBeta2 * g);
            firstMoment = m;
            secondMoment = v;
            Vector<T> step = ((m * _c1) / (Vector.SquareRoot(v * _c2) + new Vector<T>(_epsilon))) + (p * _weightDecay);
            return p - (step * _learningRate);
        }
    }
}
