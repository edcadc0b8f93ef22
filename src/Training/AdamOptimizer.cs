using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Adam with decoupled weight decay (AdamW):
/// <c>m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; θ −= η · (m̂ / (√v̂ + ε) + λθ)</c> with bias-corrected m̂, v̂.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class AdamOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _firstMoment;
    private readonly T[] _secondMoment;
    private readonly T _beta1;
    private readonly T _beta2;
    private readonly T _epsilon;
    private readonly T _weightDecay;
    private readonly NetworkShape? _shape;

    /// <summary>Creates the optimiser; both moment buffers (zeros) are allocated here.</summary>
    /// <param name="parameterCount">Length of the parameter buffer; ≥ 1.</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="weightDecay">Decoupled weight decay λ ≥ 0 (applies to biases too). 0 for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public AdamOptimizer(int parameterCount, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(parameterCount)
    {
        _beta1 = CheckRange(beta1, 0, 1, inclusiveMaximum: false, nameof(beta1));
        _beta2 = CheckRange(beta2, 0, 1, inclusiveMaximum: false, nameof(beta2));
        _epsilon = CheckRange(epsilon, double.Epsilon, double.MaxValue, inclusiveMaximum: true, nameof(epsilon));
        _weightDecay = CheckRange(weightDecay, 0, double.MaxValue, inclusiveMaximum: true, nameof(weightDecay));
        if (T.IsZero(_epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε rounds to 0 in this element type.");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _firstMoment = new T[parameterCount];
        _secondMoment = new T[parameterCount];
    }

    /// <summary>
    /// Creates the optimiser for a network of <paramref name="shape"/>, whose decoupled weight decay
    /// λ applies to the weights only: each layer's bias segment (see <see cref="Network{T}.Parameters"/>'
    /// layout) is updated with λ = 0, as AdamW is usually run. Both moment buffers are allocated here.
    /// </summary>
    /// <param name="shape">The network the parameter buffer belongs to; its <see cref="NetworkShape.ParameterCount"/> sizes the optimiser.</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="weightDecay">Decoupled weight decay λ ≥ 0 on the weights (never the biases). 0 for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public AdamOptimizer(NetworkShape shape, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this(RequireShape(shape).ParameterCount, beta1, beta2, epsilon, weightDecay)
    {
        _shape = shape;
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether λ applies to the biases too (true unless the optimiser was created for a <see cref="NetworkShape"/>).</summary>
    public bool DecaysBiases => _shape is null;

    /// <summary>The first moment m, mirroring the parameter buffer.</summary>
    public ReadOnlySpan<T> FirstMoment => _firstMoment;

    /// <summary>The second moment v, mirroring the parameter buffer.</summary>
    public ReadOnlySpan<T> SecondMoment => _secondMoment;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        _firstMoment.AsSpan().Clear();
        _secondMoment.AsSpan().Clear();
    }

    /// <inheritdoc/>
    protected override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber) =>
        Run(parameters, gradients, learningRate, stepNumber, null);

    internal override void Apply(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, KernelThreads threads) =>
        Run(parameters, gradients, learningRate, stepNumber, threads);

    private void Run(Span<T> parameters, ReadOnlySpan<T> gradients, T learningRate, long stepNumber, KernelThreads? threads)
    {
        if (_shape is null || T.IsZero(_weightDecay))
        {
            Updates.AdamStep(parameters, gradients, _firstMoment, _secondMoment, learningRate, _beta1, _beta2, _epsilon, stepNumber, _weightDecay, threads);
            return;
        }

        // Per layer: the bias segment without decay, then the weights with it. The update is
        // element-wise, so the segments give exactly what one pass would, bar λ on the biases.
        for (int l = 0; l < _shape.LayerCount; l++)
        {
            int start = _shape.ParameterOffset(l);
            int biases = _shape.FanOut(l);
            int weights = _shape.FanIn(l) * biases;
            Updates.AdamStep(parameters.Slice(start, biases), gradients.Slice(start, biases), _firstMoment.AsSpan(start, biases), _secondMoment.AsSpan(start, biases), learningRate, _beta1, _beta2, _epsilon, stepNumber, T.Zero, threads);
            start += biases;
            Updates.AdamStep(parameters.Slice(start, weights), gradients.Slice(start, weights), _firstMoment.AsSpan(start, weights), _secondMoment.AsSpan(start, weights), learningRate, _beta1, _beta2, _epsilon, stepNumber, _weightDecay, threads);
        }
    }

    private static NetworkShape RequireShape(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape;
    }
}
