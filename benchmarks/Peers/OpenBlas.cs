using System.Runtime.InteropServices;

namespace Backprop.Benchmarks.Peers;

/// <summary>
/// OpenBLAS's CBLAS GEMM through P/Invoke (Debian <c>libopenblas-dev</c>). Which kernel set it runs
/// is chosen by <c>OPENBLAS_CORETYPE</c> (Haswell = AVX2, SkylakeX = AVX-512) and its thread count
/// by <c>OPENBLAS_NUM_THREADS</c>; the benchmark jobs set both.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>True when the shared library loads on this machine.</summary>
    public static bool IsAvailable { get; } = NativeLibrary.TryLoad(Library, out _);

    public static void Gemm<T>(bool ta, bool tb, int m, int n, int k, T[] a, int lda, T[] b, int ldb, T[] c, int ldc)
        where T : unmanaged
    {
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (typeof(T) == typeof(float))
            {
                cblas_sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, 1f, (float*)pa, lda, (float*)pb, ldb, 0f, (float*)pc, ldc);
            }
            else
            {
                cblas_dgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, 1.0, (double*)pa, lda, (double*)pb, ldb, 0.0, (double*)pc, ldc);
            }
        }
    }

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    private static partial void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);
}
