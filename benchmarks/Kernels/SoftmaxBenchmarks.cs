using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// Row-wise softmax (<see cref="Softmax.Forward{T}"/>) against its plain reference (baseline,
/// <see cref="SoftmaxReference"/>, row by row) and <see cref="TensorPrimitives.SoftMax{T}"/> row by
/// row, on 10 classes (the narrow, many-rows-at-once path) and 1000. All three agree before anything is timed.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class SoftmaxBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _logits = [];
    private T[] _destination = [];

    public IEnumerable<RowShape> Shapes => [new(128, 10), new(256, 1000)];

    [ParamsSource(nameof(Shapes))]
    public RowShape Shape { get; set; } = new(1, 1);

    [GlobalSetup]
    public void Setup()
    {
        _logits = Agreement.Random<T>(Shape.Count, 42, -10, 10);
        _destination = new T[Shape.Count];
        Naive();
        T[] expected = (T[])_destination.Clone();
        foreach ((Action run, string name) in new (Action, string)[] { (TensorPrimitivesRows, nameof(TensorPrimitivesRows)), (Backprop, nameof(Backprop)) })
        {
            _destination.AsSpan().Clear();
            run();
            Agreement.Require<T>(_destination, expected, 1e-5, name);
        }
    }

    [Benchmark(Baseline = true)]
    public void Naive()
    {
        int n = Shape.Columns;
        for (int i = 0; i < Shape.Rows; i++)
        {
            SoftmaxReference.Forward<T>(_logits.AsSpan(i * n, n), _destination.AsSpan(i * n, n));
        }
    }

    [Benchmark]
    public void TensorPrimitivesRows()
    {
        int n = Shape.Columns;
        for (int i = 0; i < Shape.Rows; i++)
        {
            TensorPrimitives.SoftMax<T>(_logits.AsSpan(i * n, n), _destination.AsSpan(i * n, n));
        }
    }

    [Benchmark]
    public void Backprop() =>
        Softmax.Forward(new ReadOnlyMatrixSpan<T>(_logits, Shape.Rows, Shape.Columns), new MatrixSpan<T>(_destination, Shape.Rows, Shape.Columns));
}
