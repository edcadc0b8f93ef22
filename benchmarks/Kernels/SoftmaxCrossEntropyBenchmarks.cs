using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// Mean softmax cross-entropy and its gradient (softmax − onehot)/N for class-index targets:
/// the fused kernel against a plain scalar loop (the original implementation: two exponentials per
/// element) and against composed <see cref="TensorPrimitives"/> calls.
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

    [Benchmark(Baseline = true)]
    public T Naive()
    {
        int n = Shape.Columns;
        T invN = T.One / T.CreateTruncating(Shape.Rows);
        T total = T.Zero;
        for (int i = 0; i < Shape.Rows; i++)
        {
            ReadOnlySpan<T> z = _logits.AsSpan(i * n, n);
            Span<T> g = _gradient.AsSpan(i * n, n);
            T max = z[0];
            for (int j = 1; j < n; j++)
            {
                max = T.Max(max, z[j]);
            }

            T sum = T.Zero;
            for (int j = 0; j < n; j++)
            {
                sum += T.Exp(z[j] - max);
            }

            int target = _targets[i];
            total += T.Log(sum) - (z[target] - max);
            T scale = invN / sum;
            for (int j = 0; j < n; j++)
            {
                g[j] = (T.Exp(z[j] - max) * scale) - (j == target ? invN : T.Zero);
            }
        }

        return total * invN;
    }

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
