using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The unpacked GEMM path for small or skinny products (the tiny networks' shapes), where packing
/// costs more than it saves. C is first scaled by β (overwritten when β = 0), then α·op(A)·op(B) is
/// accumulated row by row: an axpy of B's rows into C's rows for A·B and Aᵀ·B, a dot product of
/// rows for A·Bᵀ.
/// </summary>
internal static class GemmSmall
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!o.TransposeB)
        {
            ScaleC(c, beta);
            if (o.TransposeA)
            {
                TransposedTimesPlain(o, c, alpha);
            }
            else
            {
                PlainTimesPlain(o, c, alpha);
            }
        }
        else if (!o.TransposeA)
        {
            PlainTimesTransposed(o, c, alpha, beta);
        }
        else
        {
            TransposedTimesTransposed(o, c, alpha, beta);
        }
    }

    /// <summary>C = β·C, with β = 0 overwriting (NaN in C does not survive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleC<T>(MatrixSpan<T> c, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero)
        {
            c.Fill(T.Zero);
        }
        else if (beta != T.One)
        {
            for (int i = 0; i < c.Rows; i++)
            {
                Scale(c.Row(i), beta);
            }
        }
    }

    // C[i, :] += α·A[i, p]·B[p, :]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlainTimesPlain<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        for (int i = 0; i < o.M; i++)
        {
            ref T cRow = ref MemoryMarshal.GetReference(c.Row(i));
            ref T aRow = ref Unsafe.Add(ref a, (nint)i * o.A.Stride);
            for (int p = 0; p < o.K; p++)
            {
                Axpy(alpha * Unsafe.Add(ref aRow, p), ref Unsafe.Add(ref b, (nint)p * o.B.Stride), ref cRow, o.N);
            }
        }
    }

    // A is stored k×m: for each depth p, row p of A and row p of B make a rank-1 update of C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposedTimesPlain<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        ref T c0 = ref MemoryMarshal.GetReference(c.Span);
        for (int p = 0; p < o.K; p++)
        {
            ref T aRow = ref Unsafe.Add(ref a, (nint)p * o.A.Stride);
            ref T bRow = ref Unsafe.Add(ref b, (nint)p * o.B.Stride);
            for (int i = 0; i < o.M; i++)
            {
                Axpy(alpha * Unsafe.Add(ref aRow, i), ref bRow, ref Unsafe.Add(ref c0, (nint)i * c.Stride), o.N);
            }
        }
    }

    // C[i, j] = α·dot(A[i, :], B[j, :]) + β·C[i, j]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlainTimesTransposed<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        for (int i = 0; i < o.M; i++)
        {
            Span<T> cRow = c.Row(i);
            ref T aRow = ref Unsafe.Add(ref a, (nint)i * o.A.Stride);
            for (int j = 0; j < o.N; j++)
            {
                T dot = alpha * Dot(ref aRow, ref Unsafe.Add(ref b, (nint)j * o.B.Stride), o.K);
                cRow[j] = beta == T.Zero ? dot : dot + (beta * cRow[j]);
            }
        }
    }

    // Rare in backpropagation; plain loops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposedTimesTransposed<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < o.M; i++)
        {
            for (int j = 0; j < o.N; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < o.K; p++)
                {
                    sum += o.A[p, i] * o.B[j, p];
                }

                c[i, j] = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * c[i, j]);
            }
        }
    }

    /// <summary>y[0..n) += s·x[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy<T>(T s, ref T x, ref T y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var vs = new Vector<T>(s);
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> vy = Vector.LoadUnsafe(ref y, (nuint)j);
                SimdMath.FusedMultiplyAdd(vs, Vector.LoadUnsafe(ref x, (nuint)j), vy).StoreUnsafe(ref y, (nuint)j);
            }
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref y, j) = SimdMath.FusedMultiplyAdd(s, Unsafe.Add(ref x, j), Unsafe.Add(ref y, j));
        }
    }

    /// <summary>Σ x[p]·y[p] over p in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(ref T x, ref T y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            Vector<T> acc = Vector<T>.Zero;
            for (; p <= n - Vector<T>.Count; p += Vector<T>.Count)
            {
                acc = SimdMath.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)p), Vector.LoadUnsafe(ref y, (nuint)p), acc);
            }

            sum = Vector.Sum(acc);
        }

        for (; p < n; p++)
        {
            sum = SimdMath.FusedMultiplyAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref y, p), sum);
        }

        return sum;
    }

    private static void Scale<T>(Span<T> row, T s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < row.Length; j++)
        {
            row[j] *= s;
        }
    }
}
