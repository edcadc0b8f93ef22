using System.Numerics;

namespace Backprop.Kernels;

/// <summary>Row-broadcast and column-reduction kernels: bias add, bias gradient, row arg-max.</summary>
public static class RowOps
{
    /// <summary>Adds <paramref name="row"/> to every row of <paramref name="matrix"/> (bias add): <c>M[i, j] += row[j]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix, updated in place. Shape (rows, n).</param>
    /// <param name="row">The row vector. Length n.</param>
    public static void AddRowVector<T>(MatrixSpan<T> matrix, ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(row.Length, matrix.Columns, nameof(row));
        for (int i = 0; i < matrix.Rows; i++)
        {
            Span<T> r = matrix.Row(i);
            for (int j = 0; j < r.Length; j++)
            {
                r[j] += row[j];
            }
        }
    }

    /// <summary>Writes the sum of each column (bias gradient): <c>destination[j] = α · Σᵢ M[i, j] + β · destination[j]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix. Shape (rows, n).</param>
    /// <param name="destination">The column sums. Length n.</param>
    /// <param name="alpha">Scale of the sums.</param>
    /// <param name="beta">Scale of the previous contents; 0 overwrites (NaN in the destination does not survive).</param>
    public static void SumColumns<T>(ReadOnlyMatrixSpan<T> matrix, Span<T> destination, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(destination.Length, matrix.Columns, nameof(destination));
        Check.NoOverlap(matrix.Span, destination, nameof(destination));
        for (int j = 0; j < destination.Length; j++)
        {
            T sum = T.Zero;
            for (int i = 0; i < matrix.Rows; i++)
            {
                sum += matrix[i, j];
            }

            destination[j] = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * destination[j]);
        }
    }

    /// <summary>Writes the column index of the largest element of each row (the first on ties; NaN is never chosen over a number).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix. Shape (rows, n), n ≥ 1.</param>
    /// <param name="destination">One index per row. Length rows.</param>
    public static void ArgMaxRows<T>(ReadOnlyMatrixSpan<T> matrix, Span<int> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        Check.Length(destination.Length, matrix.Rows, nameof(destination));
        if (matrix.Rows > 0 && matrix.Columns == 0)
        {
            throw new ArgumentException("Arg-max needs at least one column.", nameof(matrix));
        }

        for (int i = 0; i < matrix.Rows; i++)
        {
            ReadOnlySpan<T> r = matrix.Row(i);
            int best = 0;
            for (int j = 1; j < r.Length; j++)
            {
                if (r[j] > r[best] || (T.IsNaN(r[best]) && !T.IsNaN(r[j])))
                {
                    best = j;
                }
            }

            destination[i] = best;
        }
    }
}
