using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>Argument checks shared by the kernels; every failure names the parameter and what was expected.</summary>
internal static class KernelArguments
{
    /// <summary>Throws unless <typeparamref name="T"/> is <see cref="float"/> or <see cref="double"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ElementType<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowElementType(typeof(T));
        }
    }

    /// <summary>Throws when <paramref name="actual"/> differs from <paramref name="expected"/>.</summary>
    public static void Length(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            ThrowLength(actual, expected, name);
        }
    }

    /// <summary>Throws when two views have different shapes.</summary>
    public static void SameShape(int rows, int columns, int otherRows, int otherColumns, string name)
    {
        if (rows != otherRows || columns != otherColumns)
        {
            throw new ArgumentException($"Expected a {rows}×{columns} matrix, got {otherRows}×{otherColumns}.", name);
        }
    }

    /// <summary>
    /// Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly
    /// (same start and same length), which element-wise kernels allow for in-place use.
    /// </summary>
    public static void NoPartialOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string name)
    {
        if (input.Overlaps(output, out int offset) && (offset != 0 || input.Length != output.Length))
        {
            throw new ArgumentException("The destination overlaps the input; only exact in-place use (same span) is allowed.", name);
        }
    }

    /// <summary>Throws when the spans overlap at all.</summary>
    public static void NoOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string name)
    {
        if (input.Overlaps(output))
        {
            throw new ArgumentException("The destination must not overlap the input.", name);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="output"/> is either exactly <paramref name="input"/> (same first
    /// element and stride: in-place use) or shares no memory with it. Views of equal shape.
    /// </summary>
    public static void SameOrDisjoint<T>(ReadOnlyMatrixSpan<T> input, ReadOnlyMatrixSpan<T> output, string name)
    {
        if (input.Stride != output.Stride)
        {
            NoOverlap(Elements(input), Elements(output), name);
        }
        else
        {
            NoPartialOverlap(Elements(input), Elements(output), name);
        }
    }

    /// <summary>Throws when the elements of two matrix views (padding after the last row excluded) share memory.</summary>
    public static void NoOverlap<T>(ReadOnlyMatrixSpan<T> input, ReadOnlyMatrixSpan<T> output, string name) =>
        NoOverlap(Elements(input), Elements(output), name);

    /// <summary>Throws when a matrix has no rows or no columns.</summary>
    public static void NotEmpty<T>(ReadOnlyMatrixSpan<T> matrix, string what, string name)
    {
        if (matrix.Rows == 0 || matrix.Columns == 0)
        {
            throw new ArgumentException($"{what} needs at least one row and one column; got {matrix.Rows}×{matrix.Columns}.", name);
        }
    }

    // The part of a view's span its elements occupy (a view may sit on a longer span).
    private static ReadOnlySpan<T> Elements<T>(ReadOnlyMatrixSpan<T> m) =>
        m.Span[..(int)MatrixShape.RequiredLength(m.Rows, m.Columns, m.Stride)];

    [DoesNotReturn]
    private static void ThrowElementType(Type type) =>
        throw new NotSupportedException($"Element type {type.Name} is not supported; use float or double.");

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string name) =>
        throw new ArgumentException($"Expected length {expected}, got {actual}.", name);
}
