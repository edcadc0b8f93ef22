using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>Plain gradient descent, the derivation's update: <c>θ −= η · (g + λθ)</c>.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Length of the parameter buffer; ≥ 1.</param>
    /// <param name="weightDecay">L2 weight decay λ ≥ 0 (added to the gradient; applies to biases too). 0 for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public SgdOptimizer(int parameterCount, double weightDecay = 0)
        : base(parameterCount)
    {
        _weightDecay = CheckRange(weightDecay, 0, double.MaxValue, inclusiveMaximum: true, nameof(weightDecay));
        WeightDecay = weightDecay;
    }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber) =>
        Updates.SgdStep(parameters, gradients, learningRate, _weightDecay);

    internal override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, KernelThreads threads) =>
        Updates.SgdStep(parameters, gradients, learningRate, _weightDecay, threads);
}
