namespace Backprop.Benchmarks.Kernels;

/// <summary>A rows × columns benchmark shape; its text is what BenchmarkDotNet prints in the Shape column.</summary>
public sealed record RowShape(int Rows, int Columns)
{
    public int Count => Rows * Columns;

    public override string ToString() => $"{Rows}x{Columns}";
}
