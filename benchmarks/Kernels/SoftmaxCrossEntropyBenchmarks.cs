using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// Mean softmax cross-entropy and its gradient (softmax − onehot)/N for class-index targets:
/// the fused kernel against its plain scalar reference (<see cref="CrossEntropyReference"/>: two
/// exponentials per element) and against composed <see cref="TensorPrimitives"/> calls.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class SoftmaxCrossEntropyBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _logits = [];
    private T[] _gradient = [];
    private int[] _targets = [];

    public IEnumerable<RowShape> Shapes => [new(128, 10), new(256, 1000)];

    [ParamsSource(nameof(Shapes))]
    public RowShape Shape { get; set; } = new(1, 1);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _logits = [.. Enumerable.Range(0, Shape.Count).Select(_ => T.CreateTruncating((random.NextDouble() * 20) - 10))];
        _targets = [.. Enumerable.Range(0, Shape.Rows).Select(_ => random.Next(Shape.Columns))];
        _gradient = new T[Shape.Count];

        // The three must agree before they are timed.
        T naive = Naive();
        T[] expected = (T[])_gradient.Clone();
        Check(TensorPrimitivesComposed(), naive, expected, nameof(TensorPrimitivesComposed));
        Check(Fused(), naive, expected, nameof(Fused));
    }

    /// <summary>The tests' judge, <see cref="CrossEntropyReference"/>: plain loops, two exponentials per element.</summary>
    [Benchmark(Baseline = true)]
    public T Naive() => CrossEntropyReference.Loss<T>(_logits, Shape.Rows, Shape.Columns, _targets, _gradient);

    [Benchmark]
    public T TensorPrimitivesComposed()
    {
        int n = Shape.Columns;
        T invN = T.One / T.CreateTruncating(Shape.Rows);
        T total = T.Zero;
        for (int i = 0; i < Shape.Rows; i++)
        {
            Span<T> g = _gradient.AsSpan(i * n, n);
            int target = _targets[i];
            TensorPrimitives.SoftMax<T>(_logits.AsSpan(i * n, n), g);
            total -= T.Log(g[target]);
            TensorPrimitives.Multiply<T>(g, invN, g);
            g[target] -= invN;
        }

        return total * invN;
    }

    [Benchmark]
    public T Fused() =>
        CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(_logits, Shape.Rows, Shape.Columns), _targets, new MatrixSpan<T>(_gradient, Shape.Rows, Shape.Columns));

    private void Check(T loss, T expectedLoss, T[] expectedGradient, string name)
    {
        double tolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-10;
        if (double.Abs(double.CreateTruncating(loss - expectedLoss)) > tolerance * (1 + double.Abs(double.CreateTruncating(expectedLoss))))
        {
            throw new InvalidOperationException($"{name}: loss {loss} differs from the naive loop's {expectedLoss}.");
        }

        for (int k = 0; k < expectedGradient.Length; k++)
        {
            if (double.Abs(double.CreateTruncating(_gradient[k] - expectedGradient[k])) > tolerance / Shape.Rows)
            {
                throw new InvalidOperationException($"{name}: gradient[{k}] = {_gradient[k]}, naive loop {expectedGradient[k]}.");
            }
        }
    }
}
