using System.Numerics;

namespace Backprop.Reference;

/// <summary>The plain reference for GEMM: the textbook loop (i-k-j order), accumulated in double.</summary>
public static class GemmReference
{
    /// <summary>
    /// <paramref name="result"/> (m × n, dense) = α·op(A)·op(B) + β·C (β = 0 ignores C), accumulated
    /// in double; and, when <paramref name="scale"/> is not empty, per element the scale
    /// Σₚ|α·a·b| + |β·c| that bounds its rounding error, for a relative comparison. Allocates nothing.
    /// With <c>ta</c>, A is k × m (stride <c>lda</c>), else m × k; with <c>tb</c>, B is n × k (stride
    /// <c>ldb</c>), else k × n; C is m × n with stride <c>ldc</c>.
    /// </summary>
    public static void Multiply<T>(bool ta, ReadOnlySpan<T> a, int lda, bool tb, ReadOnlySpan<T> b, int ldb, ReadOnlySpan<T> c, int ldc, int m, int n, int k, T alpha, T beta, Span<double> result, Span<double> scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
        bool withScale = !scale.IsEmpty;
        for (int i = 0; i < m; i++)
        {
            Span<double> row = result.Slice(i * n, n);
            Span<double> rowScale = withScale ? scale.Slice(i * n, n) : default;
            row.Clear();
            rowScale.Clear();
            for (int p = 0; p < k; p++)
            {
                double x = double.CreateTruncating(ta ? a[(p * lda) + i] : a[(i * lda) + p]);
                for (int j = 0; j < n; j++)
                {
                    double product = x * double.CreateTruncating(tb ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                    row[j] += product;
                    if (withScale)
                    {
                        rowScale[j] += Math.Abs(product);
                    }
                }
            }

            for (int j = 0; j < n; j++)
            {
                double old = be == 0 ? 0 : double.CreateTruncating(c[(i * ldc) + j]);
                row[j] = (al * row[j]) + (be * old);
                if (withScale)
                {
                    rowScale[j] = (Math.Abs(al) * rowScale[j]) + Math.Abs(be * old);
                }
            }
        }
    }

    /// <summary>As <see cref="Multiply{T}(bool, ReadOnlySpan{T}, int, bool, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, int, int, T, T, Span{double}, Span{double})"/>, into new arrays.</summary>
    public static (double[] C, double[] Scale) Multiply<T>(bool ta, T[] a, int lda, bool tb, T[] b, int ldb, T[] c, int ldc, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m * n];
        var scale = new double[m * n];
        Multiply<T>(ta, a, lda, tb, b, ldb, c, ldc, m, n, k, alpha, beta, result, scale);
        return (result, scale);
    }
}
