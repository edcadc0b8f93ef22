using System.Globalization;
using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Updates a flat parameter buffer from the mirrored gradient buffer in one fused pass. State
/// buffers (velocity, moments) mirror the parameter buffer and are allocated in the constructor.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Sets up an optimiser for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">Length of the parameter buffer, e.g. <see cref="NetworkShape.ParameterCount"/>; ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parameterCount"/> is below 1.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    protected Optimizer(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        ElementType.RequireSupported<T>();
        ParameterCount = parameterCount;
    }

    /// <summary>The length of the parameter buffer this optimiser updates.</summary>
    public int ParameterCount { get; }

    /// <summary>Number of steps taken since construction or <see cref="Reset"/>.</summary>
    public long StepCount { get; private set; }

    /// <summary>Updates <paramref name="parameters"/> from <paramref name="gradients"/> with step size <paramref name="learningRate"/>.</summary>
    /// <param name="parameters">θ, updated in place; length <see cref="ParameterCount"/>.</param>
    /// <param name="gradients">The gradient of the loss at θ; same length, not overlapping.</param>
    /// <param name="learningRate">η ≥ 0, finite.</param>
    /// <exception cref="ArgumentException">A length differs from <see cref="ParameterCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative or not finite.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate)
    {
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"Expected {ParameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        }

        if (gradients.Length != ParameterCount)
        {
            throw new ArgumentException($"Expected {ParameterCount} gradients, got {gradients.Length}.", nameof(gradients));
        }

        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and ≥ 0.");
        }

        StepCount++;
        Apply(parameters, gradients, T.CreateTruncating(learningRate), StepCount);
    }

    /// <summary>
    /// <see cref="Step(Span{T}, ReadOnlySpan{T}, double)"/> with the built-in optimisers' update split
    /// across <paramref name="threads"/> by the kernels' public threaded overloads (bit-identical for
    /// every degree of parallelism); a custom optimiser's <see cref="Apply(Span{T}, ReadOnlySpan{T}, T, long)"/> runs on the calling thread.
    /// </summary>
    internal void Step(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, KernelThreads? threads)
    {
        if (threads is null || parameters.Length != ParameterCount || gradients.Length != ParameterCount || !(learningRate >= 0) || double.IsInfinity(learningRate))
        {
            Step(parameters, gradients, learningRate);
            return;
        }

        StepCount++;
        Apply(parameters, gradients, T.CreateTruncating(learningRate), StepCount, threads);
    }

    /// <summary>The update, split across <paramref name="threads"/> where the optimiser can (the built-in ones); by default <see cref="Apply(Span{T}, ReadOnlySpan{T}, T, long)"/>.</summary>
    internal virtual void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, KernelThreads threads) =>
        Apply(parameters, gradients, learningRate, stepNumber);

    /// <summary>Forgets the state (velocity, moments, step count), as if newly constructed.</summary>
    public virtual void Reset() => StepCount = 0;

    /// <summary>The update itself; arguments are checked.</summary>
    /// <param name="parameters">θ, updated in place.</param>
    /// <param name="gradients">g, same length.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="stepNumber">The 1-based number of this step.</param>
    protected abstract void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber);

    /// <summary>Checks a hyper-parameter is finite and in [<paramref name="minimum"/>, <paramref name="maximum"/>) (or ≤ when <paramref name="inclusiveMaximum"/>).</summary>
    /// <param name="value">The value.</param>
    /// <param name="minimum">Inclusive minimum.</param>
    /// <param name="maximum">Maximum.</param>
    /// <param name="inclusiveMaximum">Whether <paramref name="maximum"/> itself is allowed.</param>
    /// <param name="name">The parameter name for the exception.</param>
    /// <returns><paramref name="value"/> as <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the range or NaN.</exception>
    protected static T CheckRange(double value, double minimum, double maximum, bool inclusiveMaximum, string name)
    {
        bool ok = value >= minimum && (inclusiveMaximum ? value <= maximum : value < maximum);
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"Expected a value in [{minimum}, {maximum}{(inclusiveMaximum ? "]" : ")")}."));
        }

        return T.CreateTruncating(value);
    }
}
