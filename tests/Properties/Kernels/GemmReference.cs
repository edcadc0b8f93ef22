using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Properties.Kernels;

/// <summary>The plain reference for <see cref="Gemm"/>: the textbook triple loop, accumulated in double.</summary>
public static class GemmReference
{
    /// <summary>
    /// C = α·op(A)·op(B) + β·C (β = 0 overwrites), and, per element, the scale Σₚ|α·a·b| + |β·c| that
    /// bounds its rounding error, for a relative comparison.
    /// </summary>
    public static (double[] C, double[] Scale) Multiply<T>(bool ta, T[] a, int lda, bool tb, T[] b, int ldb, T[] c, int ldc, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m * n];
        var scale = new double[m * n];
        double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = double.CreateTruncating(ta ? a[(p * lda) + i] : a[(i * lda) + p]);
                    double y = double.CreateTruncating(tb ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }

                double old = be == 0 ? 0 : double.CreateTruncating(c[(i * ldc) + j]);
                result[(i * n) + j] = (al * sum) + (be * old);
                scale[(i * n) + j] = (Math.Abs(al) * abs) + Math.Abs(be * old);
            }
        }

        return (result, scale);
    }
}
