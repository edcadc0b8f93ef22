using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>Sigmoid and tanh forward over a 256×1024 activation: ours against <see cref="TensorPrimitives"/>.</summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class ActivationBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Count = 256 * 1024;
    private T[] _input = [];
    private T[] _destination = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _input = [.. Enumerable.Range(0, Count).Select(_ => T.CreateTruncating((random.NextDouble() * 16) - 8))];
        _destination = new T[Count];
        T[] ours = new T[Count];
        T tolerance = T.CreateTruncating(typeof(T) == typeof(float) ? 1e-6 : 1e-14);
        Activations.Sigmoid<T>(_input, ours);
        TensorPrimitivesSigmoid();
        Compare(ours, tolerance, nameof(Sigmoid));
        Activations.Tanh<T>(_input, ours);
        TensorPrimitivesTanh();
        Compare(ours, tolerance, nameof(Tanh));
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSigmoid() => TensorPrimitives.Sigmoid<T>(_input, _destination);

    [Benchmark]
    public void Sigmoid() => Activations.Sigmoid<T>(_input, _destination);

    [Benchmark]
    public void TensorPrimitivesTanh() => TensorPrimitives.Tanh<T>(_input, _destination);

    [Benchmark]
    public void Tanh() => Activations.Tanh<T>(_input, _destination);

    private void Compare(T[] ours, T tolerance, string name)
    {
        for (int k = 0; k < Count; k++)
        {
            if (T.Abs(ours[k] - _destination[k]) > tolerance)
            {
                throw new InvalidOperationException($"{name}: [{k}] = {ours[k]}, TensorPrimitives {_destination[k]}.");
            }
        }
    }
}
