using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// A read-only, row-major view of a matrix over a span: <see cref="Rows"/> × <see cref="Columns"/>
/// elements, consecutive rows <see cref="Stride"/> elements apart (<c>Stride ≥ Columns</c>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// The span must hold <c>(Rows − 1) · Stride + Columns</c> elements (0 when the matrix is empty);
/// the last row need not be padded to the full stride. Construction validates everything, so a
/// kernel that receives a view can index it without further checks.
/// </remarks>
public readonly ref struct ReadOnlyMatrixSpan<T>
{
    private readonly ReadOnlySpan<T> _data;

    /// <summary>Creates a dense view (<c>Stride = columns</c>).</summary>
    /// <param name="data">The elements, row-major.</param>
    /// <param name="rows">Number of rows, ≥ 0.</param>
    /// <param name="columns">Number of columns, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is too short.</exception>
    public ReadOnlyMatrixSpan(ReadOnlySpan<T> data, int rows, int columns)
        : this(data, rows, columns, columns)
    {
    }

    /// <summary>Creates a strided view.</summary>
    /// <param name="data">The elements, row-major.</param>
    /// <param name="rows">Number of rows, ≥ 0.</param>
    /// <param name="columns">Number of columns, ≥ 0.</param>
    /// <param name="stride">Distance in elements between the starts of consecutive rows, ≥ <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or the stride is smaller than the column count.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is too short.</exception>
    public ReadOnlyMatrixSpan(ReadOnlySpan<T> data, int rows, int columns, int stride)
    {
        MatrixShape.Validate(data.Length, rows, columns, stride, nameof(data));
        _data = data;
        Rows = rows;
        Columns = columns;
        Stride = stride;
    }

    // Trusted constructor used by slicing: the shape was validated by the parent view.
    internal ReadOnlyMatrixSpan(ReadOnlySpan<T> data, int rows, int columns, int stride, bool trusted)
    {
        Debug.Assert(trusted);
        _data = data;
        Rows = rows;
        Columns = columns;
        Stride = stride;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Distance in elements between the starts of consecutive rows.</summary>
    public int Stride { get; }

    /// <summary>True when the matrix has no elements.</summary>
    public bool IsEmpty => Rows == 0 || Columns == 0;

    /// <summary>The underlying span, starting at element (0, 0).</summary>
    public ReadOnlySpan<T> Span => _data;

    /// <summary>The element at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public ref readonly T this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Rows)
            {
                ThrowIndex(nameof(row));
            }

            if ((uint)column >= (uint)Columns)
            {
                ThrowIndex(nameof(column));
            }

            return ref Unsafe.Add(ref MemoryMarshal.GetReference(_data), (nint)row * Stride + column);
        }
    }

    /// <summary>Row <paramref name="row"/> as a span of <see cref="Columns"/> elements.</summary>
    /// <param name="row">Row index.</param>
    public ReadOnlySpan<T> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            ThrowIndex(nameof(row));
        }

        return Columns == 0 ? default : _data.Slice(row * Stride, Columns);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 as a view.</summary>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows.</param>
    public ReadOnlyMatrixSpan<T> SliceRows(int start, int count)
    {
        if ((uint)start > (uint)Rows || (uint)count > (uint)(Rows - start))
        {
            ThrowIndex(nameof(count));
        }

        // An empty result reaches no element (a view without columns may sit on a span shorter than its stride).
        return count == 0 || Columns == 0
            ? new ReadOnlyMatrixSpan<T>(default, count, Columns, Stride, trusted: true)
            : new ReadOnlyMatrixSpan<T>(_data.Slice(start * Stride, ((count - 1) * Stride) + Columns), count, Columns, Stride, trusted: true);
    }

    /// <summary>Columns <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of every row as a strided view.</summary>
    /// <param name="start">First column.</param>
    /// <param name="count">Number of columns.</param>
    public ReadOnlyMatrixSpan<T> SliceColumns(int start, int count)
    {
        if ((uint)start > (uint)Columns || (uint)count > (uint)(Columns - start))
        {
            ThrowIndex(nameof(count));
        }

        return Rows == 0 || count == 0
            ? new ReadOnlyMatrixSpan<T>(default, Rows, count, Stride, trusted: true)
            : new ReadOnlyMatrixSpan<T>(_data.Slice(start, ((Rows - 1) * Stride) + count), Rows, count, Stride, trusted: true);
    }

    [DoesNotReturn]
    private static void ThrowIndex(string name) => throw new ArgumentOutOfRangeException(name);
}

/// <summary>
/// A writable, row-major view of a matrix over a span: <see cref="Rows"/> × <see cref="Columns"/>
/// elements, consecutive rows <see cref="Stride"/> elements apart (<c>Stride ≥ Columns</c>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>Same layout rules as <see cref="ReadOnlyMatrixSpan{T}"/>, to which it converts implicitly.</remarks>
public readonly ref struct MatrixSpan<T>
{
    private readonly Span<T> _data;

    /// <summary>Creates a dense view (<c>Stride = columns</c>).</summary>
    /// <param name="data">The elements, row-major.</param>
    /// <param name="rows">Number of rows, ≥ 0.</param>
    /// <param name="columns">Number of columns, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is too short.</exception>
    public MatrixSpan(Span<T> data, int rows, int columns)
        : this(data, rows, columns, columns)
    {
    }

    /// <summary>Creates a strided view.</summary>
    /// <param name="data">The elements, row-major.</param>
    /// <param name="rows">Number of rows, ≥ 0.</param>
    /// <param name="columns">Number of columns, ≥ 0.</param>
    /// <param name="stride">Distance in elements between the starts of consecutive rows, ≥ <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or the stride is smaller than the column count.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is too short.</exception>
    public MatrixSpan(Span<T> data, int rows, int columns, int stride)
    {
        MatrixShape.Validate(data.Length, rows, columns, stride, nameof(data));
        _data = data;
        Rows = rows;
        Columns = columns;
        Stride = stride;
    }

    internal MatrixSpan(Span<T> data, int rows, int columns, int stride, bool trusted)
    {
        Debug.Assert(trusted);
        _data = data;
        Rows = rows;
        Columns = columns;
        Stride = stride;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Distance in elements between the starts of consecutive rows.</summary>
    public int Stride { get; }

    /// <summary>True when the matrix has no elements.</summary>
    public bool IsEmpty => Rows == 0 || Columns == 0;

    /// <summary>The underlying span, starting at element (0, 0).</summary>
    public Span<T> Span => _data;

    /// <summary>The element at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public ref T this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Rows)
            {
                ThrowIndex(nameof(row));
            }

            if ((uint)column >= (uint)Columns)
            {
                ThrowIndex(nameof(column));
            }

            return ref Unsafe.Add(ref MemoryMarshal.GetReference(_data), (nint)row * Stride + column);
        }
    }

    /// <summary>Row <paramref name="row"/> as a span of <see cref="Columns"/> elements.</summary>
    /// <param name="row">Row index.</param>
    public Span<T> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            ThrowIndex(nameof(row));
        }

        return Columns == 0 ? default : _data.Slice(row * Stride, Columns);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 as a view.</summary>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows.</param>
    public MatrixSpan<T> SliceRows(int start, int count)
    {
        if ((uint)start > (uint)Rows || (uint)count > (uint)(Rows - start))
        {
            ThrowIndex(nameof(count));
        }

        // An empty result reaches no element (a view without columns may sit on a span shorter than its stride).
        return count == 0 || Columns == 0
            ? new MatrixSpan<T>(default, count, Columns, Stride, trusted: true)
            : new MatrixSpan<T>(_data.Slice(start * Stride, ((count - 1) * Stride) + Columns), count, Columns, Stride, trusted: true);
    }

    /// <summary>Fills every element of the view (not the padding between rows) with <paramref name="value"/>.</summary>
    /// <param name="value">The value to store.</param>
    public void Fill(T value)
    {
        if (Columns == 0)
        {
            return; // no element; rows without columns may sit on a span shorter than Rows × Stride
        }

        if (Columns == Stride)
        {
            _data[..(Rows * Columns)].Fill(value);
            return;
        }

        for (int i = 0; i < Rows; i++)
        {
            _data.Slice(i * Stride, Columns).Fill(value);
        }
    }

    /// <summary>The same view, read-only.</summary>
    /// <param name="matrix">The writable view.</param>
    public static implicit operator ReadOnlyMatrixSpan<T>(MatrixSpan<T> matrix) =>
        new(matrix._data, matrix.Rows, matrix.Columns, matrix.Stride, trusted: true);

    /// <summary>The same view, read-only.</summary>
    public ReadOnlyMatrixSpan<T> AsReadOnly() => this;

    [DoesNotReturn]
    private static void ThrowIndex(string name) => throw new ArgumentOutOfRangeException(name);
}

/// <summary>Shape validation shared by the matrix views.</summary>
internal static class MatrixShape
{
    /// <summary>Number of elements a view of this shape needs: <c>(rows − 1) · stride + columns</c>, or 0 when empty.</summary>
    public static long RequiredLength(int rows, int columns, int stride) =>
        rows == 0 || columns == 0 ? 0 : ((long)(rows - 1) * stride) + columns;

    public static void Validate(int length, int rows, int columns, int stride, string dataName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (stride < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The stride must be at least the column count ({columns}).");
        }

        long required = RequiredLength(rows, columns, stride);
        if (length < required)
        {
            throw new ArgumentException($"A {rows}×{columns} matrix with stride {stride} needs {required} elements, but the span holds {length}.", dataName);
        }
    }
}
