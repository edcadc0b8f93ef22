using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// dZ = dA ⊙ A ⊙ (1 − A): the fused kernel against its plain scalar reference and against three composed
/// <see cref="TensorPrimitives"/> passes (1 − A, A ⊙ that, dA ⊙ that).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class SigmoidBackwardBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _outputGradient = [];
    private T[] _output = [];
    private T[] _destination = [];

    public IEnumerable<RowShape> Shapes => [new(128, 256), new(256, 1024)];

    [ParamsSource(nameof(Shapes))]
    public RowShape Shape { get; set; } = new(1, 1);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _outputGradient = [.. Enumerable.Range(0, Shape.Count).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
        _output = [.. Enumerable.Range(0, Shape.Count).Select(_ => T.CreateTruncating(random.NextDouble()))];
        _destination = new T[Shape.Count];

        Naive();
        T[] expected = (T[])_destination.Clone();
        foreach ((Action run, string name) in new (Action, string)[] { (TensorPrimitivesComposed, nameof(TensorPrimitivesComposed)), (Fused, nameof(Fused)) })
        {
            _destination.AsSpan().Clear();
            run();
            T tolerance = T.CreateTruncating(typeof(T) == typeof(float) ? 1e-6 : 1e-15);
            for (int k = 0; k < expected.Length; k++)
            {
                if (T.Abs(_destination[k] - expected[k]) > tolerance)
                {
                    throw new InvalidOperationException($"{name}: [{k}] = {_destination[k]}, naive loop {expected[k]}.");
                }
            }
        }
    }

    /// <summary>The tests' judge, <see cref="ActivationsReference.SigmoidBackward{T}"/>: one scalar loop.</summary>
    [Benchmark(Baseline = true)]
    public void Naive() => ActivationsReference.SigmoidBackward<T>(_outputGradient, _output, _destination);

    [Benchmark]
    public void TensorPrimitivesComposed()
    {
        TensorPrimitives.Subtract(T.One, _output, _destination);
        TensorPrimitives.Multiply<T>(_output, _destination, _destination);
        TensorPrimitives.Multiply<T>(_outputGradient, _destination, _destination);
    }

    [Benchmark]
    public void Fused() => Activations.SigmoidBackward<T>(_outputGradient, _output, _destination);
}
