using System.Numerics;
using System.Runtime.Intrinsics;

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
        KernelArguments.ElementType<T>();
        KernelArguments.Length(y.Length, x.Length, nameof(y));
        KernelArguments.NoPartialOverlap(x, y, nameof(y));
        ElementwiseDriver.Update(y, x, new AxpyOperator<T>(alpha));
    }

    /// <summary>Plain gradient descent: <c>θ −= η · (g + λ·θ)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    public static void SgdStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SgdStep(parameters, gradients, learningRate, weightDecay, null);

    /// <summary>Plain gradient descent, split across <paramref name="threads"/>: <c>θ −= η · (g + λ·θ)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    /// <param name="threads">The threads to split across (bit-identical results for every degree of parallelism; small buffers or a busy group run on the calling thread), or null for the calling thread only.</param>
    public static void SgdStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, T weightDecay, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(gradients.Length, parameters.Length, nameof(gradients));
        KernelArguments.NoOverlap(gradients, parameters, nameof(parameters));
        ElementwiseParallel.Update(threads, parameters, gradients, new SgdOperator<T>(learningRate, weightDecay));
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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MomentumStep(parameters, gradients, velocity, learningRate, momentum, nesterov, weightDecay, null);

    /// <summary>Momentum (heavy-ball, or Nesterov), split across <paramref name="threads"/>; see <see cref="MomentumStep{T}(Span{T}, ReadOnlySpan{T}, Span{T}, T, T, bool, T)"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g; same length.</param>
    /// <param name="velocity">v, updated in place; same length; starts at 0.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="momentum">μ, in [0, 1).</param>
    /// <param name="nesterov">Use the Nesterov form.</param>
    /// <param name="weightDecay">λ (0 for none).</param>
    /// <param name="threads">The threads to split across (bit-identical results for every degree of parallelism; small buffers or a busy group run on the calling thread), or null for the calling thread only.</param>
    public static void MomentumStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> velocity, T learningRate, T momentum, bool nesterov, T weightDecay, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(gradients.Length, parameters.Length, nameof(gradients));
        KernelArguments.Length(velocity.Length, parameters.Length, nameof(velocity));
        KernelArguments.NoOverlap(gradients, parameters, nameof(parameters));
        KernelArguments.NoOverlap(gradients, velocity, nameof(velocity));
        KernelArguments.NoOverlap((ReadOnlySpan<T>)velocity, parameters, nameof(parameters));
        if (nesterov)
        {
            ElementwiseParallel.Update(threads, parameters, gradients, velocity, new NesterovOperator<T>(learningRate, momentum, weightDecay));
        }
        else
        {
            ElementwiseParallel.Update(threads, parameters, gradients, velocity, new MomentumOperator<T>(learningRate, momentum, weightDecay));
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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AdamStep(parameters, gradients, firstMoment, secondMoment, learningRate, beta1, beta2, epsilon, step, weightDecay, null);

    /// <summary>Adam with decoupled weight decay (AdamW), split across <paramref name="threads"/>; see <see cref="AdamStep{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T}, T, T, T, T, long, T)"/>.</summary>
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
    /// <param name="threads">The threads to split across (bit-identical results for every degree of parallelism; small buffers or a busy group run on the calling thread), or null for the calling thread only.</param>
    public static void AdamStep<T>(Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> firstMoment, Span<T> secondMoment, T learningRate, T beta1, T beta2, T epsilon, long step, T weightDecay, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(gradients.Length, parameters.Length, nameof(gradients));
        KernelArguments.Length(firstMoment.Length, parameters.Length, nameof(firstMoment));
        KernelArguments.Length(secondMoment.Length, parameters.Length, nameof(secondMoment));
        KernelArguments.NoOverlap(gradients, parameters, nameof(parameters));
        KernelArguments.NoOverlap(gradients, firstMoment, nameof(firstMoment));
        KernelArguments.NoOverlap(gradients, secondMoment, nameof(secondMoment));
        KernelArguments.NoOverlap((ReadOnlySpan<T>)firstMoment, parameters, nameof(parameters));
        KernelArguments.NoOverlap((ReadOnlySpan<T>)secondMoment, parameters, nameof(parameters));
        KernelArguments.NoOverlap((ReadOnlySpan<T>)firstMoment, secondMoment, nameof(secondMoment));
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        T c1 = T.One / (T.One - T.Pow(beta1, T.CreateTruncating(step)));
        T c2 = T.One / (T.One - T.Pow(beta2, T.CreateTruncating(step)));
        ElementwiseParallel.Update(threads, parameters, gradients, firstMoment, secondMoment, new AdamOperator<T>(learningRate, beta1, beta2, epsilon, weightDecay, c1, c2));
    }

    // Each operator evaluates exactly the documented formula in the same order in scalar and vector
    // form (no fused multiply-add), so every path agrees with a plain loop bit for bit.
    private readonly struct AxpyOperator<T>(T alpha) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _alpha = alpha;

        public T Invoke(T y, T x) => y + (_alpha * x);

        public Vector128<T> Invoke(Vector128<T> y, Vector128<T> x) => y + (x * _alpha);

        public Vector256<T> Invoke(Vector256<T> y, Vector256<T> x) => y + (x * _alpha);

        public Vector512<T> Invoke(Vector512<T> y, Vector512<T> x) => y + (x * _alpha);
    }

    private readonly struct SgdOperator<T>(T learningRate, T weightDecay) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _learningRate = learningRate;
        private readonly T _weightDecay = weightDecay;

        public T Invoke(T p, T g) => p - (_learningRate * (g + (_weightDecay * p)));

        public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g) => p - ((g + (p * _weightDecay)) * _learningRate);

        public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g) => p - ((g + (p * _weightDecay)) * _learningRate);

        public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g) => p - ((g + (p * _weightDecay)) * _learningRate);
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

        public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g, ref Vector128<T> velocity)
        {
            Vector128<T> v = (velocity * _momentum) + (g + (p * _weightDecay));
            velocity = v;
            return p - (v * _learningRate);
        }

        public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g, ref Vector256<T> velocity)
        {
            Vector256<T> v = (velocity * _momentum) + (g + (p * _weightDecay));
            velocity = v;
            return p - (v * _learningRate);
        }

        public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g, ref Vector512<T> velocity)
        {
            Vector512<T> v = (velocity * _momentum) + (g + (p * _weightDecay));
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

        public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g, ref Vector128<T> velocity)
        {
            Vector128<T> decayed = g + (p * _weightDecay);
            Vector128<T> v = (velocity * _momentum) + decayed;
            velocity = v;
            return p - ((decayed + (v * _momentum)) * _learningRate);
        }

        public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g, ref Vector256<T> velocity)
        {
            Vector256<T> decayed = g + (p * _weightDecay);
            Vector256<T> v = (velocity * _momentum) + decayed;
            velocity = v;
            return p - ((decayed + (v * _momentum)) * _learningRate);
        }

        public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g, ref Vector512<T> velocity)
        {
            Vector512<T> decayed = g + (p * _weightDecay);
            Vector512<T> v = (velocity * _momentum) + decayed;
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

        public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g, ref Vector128<T> firstMoment, ref Vector128<T> secondMoment)
        {
            Vector128<T> m = (firstMoment * _beta1) + (g * _oneMinusBeta1);
            Vector128<T> v = (secondMoment * _beta2) + (g * _oneMinusBeta2 * g);
            firstMoment = m;
            secondMoment = v;
            Vector128<T> step = ((m * _c1) / (Vector128.Sqrt(v * _c2) + Vector128.Create(_epsilon))) + (p * _weightDecay);
            return p - (step * _learningRate);
        }

        public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g, ref Vector256<T> firstMoment, ref Vector256<T> secondMoment)
        {
            Vector256<T> m = (firstMoment * _beta1) + (g * _oneMinusBeta1);
            Vector256<T> v = (secondMoment * _beta2) + (g * _oneMinusBeta2 * g);
            firstMoment = m;
            secondMoment = v;
            Vector256<T> step = ((m * _c1) / (Vector256.Sqrt(v * _c2) + Vector256.Create(_epsilon))) + (p * _weightDecay);
            return p - (step * _learningRate);
        }

        public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g, ref Vector512<T> firstMoment, ref Vector512<T> secondMoment)
        {
            Vector512<T> m = (firstMoment * _beta1) + (g * _oneMinusBeta1);
            Vector512<T> v = (secondMoment * _beta2) + (g * _oneMinusBeta2 * g);
            firstMoment = m;
            secondMoment = v;
            Vector512<T> step = ((m * _c1) / (Vector512.Sqrt(v * _c2) + Vector512.Create(_epsilon))) + (p * _weightDecay);
            return p - (step * _learningRate);
        }
    }
}
