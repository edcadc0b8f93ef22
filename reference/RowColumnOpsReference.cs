using System.Numerics;

namespace Backprop.Reference;

/// <summary>Plain scalar references for <c>Backprop.Kernels.RowColumnOps</c> over dense rows × n arrays.</summary>
public static class RowColumnOpsReference
{
    public static void AddRowVector<T>(Span<T> m, int rows, int n, ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < n; j++)
            {
                m[(i * n) + j] += row[j];
            }
        }
    }

    public static void SumColumns<T>(ReadOnlySpan<T> m, int rows, int n, Span<T> destination, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < n; j++)
        {
            T sum = T.Zero;
            for (int i = 0; i < rows; i++)
            {
                sum += m[(i * n) + j];
            }

            destination[j] = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * destination[j]);
        }
    }

    /// <summary>First index of the largest number; NaN only if there is no number.</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
        {
            if (row[j] > row[best] || (T.IsNaN(row[best]) && !T.IsNaN(row[j])))
            {
                best = j;
            }
        }

        return best;
    }
}
