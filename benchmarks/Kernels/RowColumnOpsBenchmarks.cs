using System.Numerics;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Kernels;

/// <summary>The row-broadcast and column-reduction kernels a training step runs.</summary>
public enum RowColumnOperation
{
    /// <summary>Bias add: every row += the bias row.</summary>
    AddRowVector,

    /// <summary>Bias gradient: the column sums.</summary>
    SumColumns,

    /// <summary>Predicted classes: each row's arg-max.</summary>
    ArgMaxRows,
}

/// <summary>
/// Each row kernel against its plain reference (baseline, <see cref="RowColumnOpsReference"/>), on a hidden
/// layer's shape (128 × 256) and an output layer's (256 × 10, rows narrower than a vector). Each
/// agrees with its reference before anything is timed.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class RowColumnOpsBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _matrix = [];
    private T[] _row = [];
    private T[] _sums = [];
    private int[] _classes = [];

    public IEnumerable<RowShape> Shapes => [new(128, 256), new(256, 10)];

    [ParamsSource(nameof(Shapes))]
    public RowShape Shape { get; set; } = new(1, 1);

    [Params(RowColumnOperation.AddRowVector, RowColumnOperation.SumColumns, RowColumnOperation.ArgMaxRows)]
    public RowColumnOperation Operation { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _row = Agreement.Random<T>(Shape.Columns, 1, -1, 1);
        _sums = new T[Shape.Columns];
        _classes = new int[Shape.Rows];
        _matrix = Agreement.Random<T>(Shape.Count, 42, -1, 1);
        Naive();
        T[] matrix = (T[])_matrix.Clone(), sums = (T[])_sums.Clone();
        int[] classes = (int[])_classes.Clone();
        _matrix = Agreement.Random<T>(Shape.Count, 42, -1, 1);
        Backprop();
        Agreement.Require<T>(_matrix, matrix, 1e-6, $"{Operation} matrix");
        Agreement.Require<T>(_sums, sums, 1e-5 * Shape.Rows, $"{Operation} sums");
        if (!_classes.AsSpan().SequenceEqual(classes))
        {
            throw new InvalidOperationException($"{Operation}: the arg-max differs from the reference's.");
        }
    }

    [Benchmark(Baseline = true)]
    public void Naive()
    {
        switch (Operation)
        {
            case RowColumnOperation.AddRowVector:
                RowColumnOpsReference.AddRowVector<T>(_matrix, Shape.Rows, Shape.Columns, _row);
                break;
            case RowColumnOperation.SumColumns:
                RowColumnOpsReference.SumColumns<T>(_matrix, Shape.Rows, Shape.Columns, _sums, T.One, T.Zero);
                break;
            default:
                for (int i = 0; i < Shape.Rows; i++)
                {
                    _classes[i] = RowColumnOpsReference.ArgMax<T>(_matrix.AsSpan(i * Shape.Columns, Shape.Columns));
                }

                break;
        }
    }

    [Benchmark]
    public void Backprop()
    {
        switch (Operation)
        {
            case RowColumnOperation.AddRowVector:
                RowColumnOps.AddRowVector(new MatrixSpan<T>(_matrix, Shape.Rows, Shape.Columns), _row);
                break;
            case RowColumnOperation.SumColumns:
                RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<T>(_matrix, Shape.Rows, Shape.Columns), _sums, T.One, T.Zero);
                break;
            default:
                RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<T>(_matrix, Shape.Rows, Shape.Columns), _classes);
                break;
        }
    }
}
