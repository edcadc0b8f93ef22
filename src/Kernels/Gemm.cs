using System.Numerics;

namespace Backprop.Kernels;

/// <summary>General matrix multiply: <c>C = α · op(A) · op(B) + β · C</c>.</summary>
public static class Gemm
{
    /// <summary><c>C = A · B</c> (overwrites C).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="a">A, shape (m, k).</param>
    /// <param name="b">B, shape (k, n).</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    public static void Multiply<T>(ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(MatrixOperation.None, a, MatrixOperation.None, b, c, T.One, T.Zero);

    /// <summary><c>C = α · op(A) · op(B) + β · C</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A, shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B, shape (k, n), or (n, k) when transposed.</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β; 0 overwrites C (whatever it held, NaN included).</param>
    public static void Multiply<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.ElementType<T>();
        bool ta = operationA == MatrixOperation.Transpose;
        bool tb = operationB == MatrixOperation.Transpose;
        int m = ta ? a.Columns : a.Rows;
        int k = ta ? a.Rows : a.Columns;
        int kb = tb ? b.Columns : b.Rows;
        int n = tb ? b.Rows : b.Columns;
        if (kb != k)
        {
            throw new ArgumentException($"op(A) is {m}×{k} but op(B) is {kb}×{n}: inner dimensions differ.", nameof(b));
        }

        if (c.Rows != m || c.Columns != n)
        {
            throw new ArgumentException($"Expected C to be {m}×{n}, got {c.Rows}×{c.Columns}.", nameof(c));
        }

        Check.NoOverlap(a.Span, c.Span, nameof(c));
        Check.NoOverlap(b.Span, c.Span, nameof(c));
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    sum += (ta ? a[p, i] : a[i, p]) * (tb ? b[j, p] : b[p, j]);
                }

                c[i, j] = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * c[i, j]);
            }
        }
    }
}
