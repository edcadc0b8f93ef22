using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Gradient descent with momentum (heavy-ball, or Nesterov):
/// <c>g′ = g + λθ; v = μv + g′; θ −= η · (nesterov ? g′ + μv : v)</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class MomentumOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _velocity;
    private readonly T _momentum;
    private readonly T _weightDecay;

    /// <summary>Creates the optimiser; the velocity buffer (zeros) is allocated here.</summary>
    /// <param name="parameterCount">Length of the parameter buffer; ≥ 1.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    /// <param name="nesterov">Use Nesterov's form.</param>
    /// <param name="weightDecay">L2 weight decay λ ≥ 0 (added to the gradient; applies to biases too). 0 for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public MomentumOptimizer(int parameterCount, double momentum = 0.9, bool nesterov = false, double weightDecay = 0)
        : base(parameterCount)
    {
        _momentum = CheckRange(momentum, 0, 1, inclusiveMaximum: false, nameof(momentum));
        _weightDecay = CheckRange(weightDecay, 0, double.MaxValue, inclusiveMaximum: true, nameof(weightDecay));
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _velocity = new T[parameterCount];
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>The velocity v, mirroring the parameter buffer.</summary>
    public ReadOnlySpan<T> Velocity => _velocity;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        _velocity.AsSpan().Clear();
    }

    /// <inheritdoc/>
    protected override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber) =>
        Updates.MomentumStep(parameters, gradients, _velocity, learningRate, _momentum, Nesterov, _weightDecay);

    internal override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, KernelThreads threads) =>
        Updates.MomentumStep(parameters, gradients, _velocity, learningRate, _momentum, Nesterov, _weightDecay, threads);
}
