using System.Numerics;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>The optimiser updates, one pass over the whole parameter buffer each.</summary>
public enum UpdateRule
{
    /// <summary>Plain gradient descent with weight decay.</summary>
    Sgd,

    /// <summary>Nesterov momentum with weight decay.</summary>
    Momentum,

    /// <summary>Adam (decoupled weight decay).</summary>
    Adam,
}

/// <summary>
/// Each optimiser update against its plain reference (baseline, <see cref="UpdatesReference"/>) over
/// the parameters of a 784-256-10 network (203,530) and of a small one (4-8-6-3, 121: mostly
/// tails). Both start from the same state and agree after one update before anything is timed;
/// timing then keeps updating the same buffers (a small rate keeps them finite).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class UpdatesBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Rate = T.CreateTruncating(1e-4), Decay = T.CreateTruncating(1e-4);
    private static readonly T Beta1 = T.CreateTruncating(0.9), Beta2 = T.CreateTruncating(0.999), Epsilon = T.CreateTruncating(1e-8);
    private const long Step = 10;
    private T[] _parameters = [], _gradients = [], _first = [], _second = [];

    [Params(203_530, 121)]
    public int Count { get; set; }

    [Params(UpdateRule.Sgd, UpdateRule.Momentum, UpdateRule.Adam)]
    public UpdateRule Rule { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _gradients = Agreement.Random<T>(Count, 2, -1, 1);
        Reset();
        Naive();
        T[] parameters = (T[])_parameters.Clone(), first = (T[])_first.Clone(), second = (T[])_second.Clone();
        Reset();
        Backprop();
        Agreement.Require<T>(_parameters, parameters, 1e-6, $"{Rule} parameters");
        Agreement.Require<T>(_first, first, 1e-6, $"{Rule} first moment / velocity");
        Agreement.Require<T>(_second, second, 1e-6, $"{Rule} second moment");
    }

    [Benchmark(Baseline = true)]
    public void Naive()
    {
        switch (Rule)
        {
            case UpdateRule.Sgd: UpdatesReference.Sgd<T>(_parameters, _gradients, Rate, Decay); break;
            case UpdateRule.Momentum: UpdatesReference.Momentum<T>(_parameters, _gradients, _first, Rate, Beta1, true, Decay); break;
            default: UpdatesReference.Adam<T>(_parameters, _gradients, _first, _second, Rate, Beta1, Beta2, Epsilon, Step, Decay); break;
        }
    }

    [Benchmark]
    public void Backprop()
    {
        switch (Rule)
        {
            case UpdateRule.Sgd: Updates.SgdStep<T>(_parameters, _gradients, Rate, Decay); break;
            case UpdateRule.Momentum: Updates.MomentumStep<T>(_parameters, _gradients, _first, Rate, Beta1, true, Decay); break;
            default: Updates.AdamStep<T>(_parameters, _gradients, _first, _second, Rate, Beta1, Beta2, Epsilon, Step, Decay); break;
        }
    }

    private void Reset()
    {
        _parameters = Agreement.Random<T>(Count, 1, -1, 1);
        _first = Agreement.Random<T>(Count, 3, -0.1, 0.1);
        _second = Agreement.Random<T>(Count, 4, 0, 0.01);
    }
}
