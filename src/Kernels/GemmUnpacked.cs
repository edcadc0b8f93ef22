using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The unpacked GEMM path for small or skinny products (the tiny networks' shapes), where packing
/// costs more than it saves. Outputs narrower than a vector have their own forms: each output row as
/// one vector held in registers (A·B and A·Bᵀ of small depth), and Aᵀ·B with four output rows held in
/// registers over the whole batch. Otherwise C is first scaled by β (overwritten when β = 0), then
/// α·op(A)·op(B) is accumulated row by row: an axpy of B's rows into C's rows for A·B and Aᵀ·B, a
/// dot product of rows for A·Bᵀ.
/// </summary>
internal static class GemmUnpacked
{
    /// <summary>Vector code runs unless SIMD is off or the kernels are pinned to scalar (<see cref="KernelSimd.VectorBits"/> = 0).</summary>
    private static readonly bool Simd = Vector.IsHardwareAccelerated && KernelSimd.VectorBits != 0;

    /// <summary>a·b + c: fused where the hardware fuses, else a separate multiply and add (never the lane-by-lane software fusion).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MulAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GemmMath.Fused ? VectorFma.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    /// <summary>a·b + c: fused where the hardware fuses, else a separate multiply and add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MulAdd<T>(T a, T b, T c)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GemmMath.Fused ? T.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd && o.N < Vector<T>.Count)
        {
            if (!o.TransposeA && o.K <= NarrowMaxDepth && beta == T.Zero && (c.Stride == o.N || c.Rows == 1))
            {
                NarrowRows(o, c, alpha);
                return;
            }

            if (o.TransposeA && !o.TransposeB)
            {
                TransposedTimesNarrow(o, c, alpha, beta);
                return;
            }
        }

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

    /// <summary>Deepest op(B) the narrow-row kernel keeps as one vector per depth.</summary>
    internal const int NarrowMaxDepth = 32;

    // Narrow C (fewer columns than a vector), A not transposed, β = 0, C dense: each row of C is ONE
    // vector, Σₚ A[i, p]·op(B)[p, :], with op(B)'s rows staged as vectors (lanes ≥ N zero). The
    // axpy and dot forms spent a store→load chain or a horizontal sum per element here (measured
    // 500×2×3 float: 2.9 µs). A row's vector is stored whole: lanes ≥ N land on the next rows of C,
    // which are written afterwards; the last rows, whose vector would leave C, are stored lane by lane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRows<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int m = o.M, n = o.N, k = o.K;
        Span<T> staged = stackalloc T[NarrowMaxDepth * Vector<T>.Count];
        for (int p = 0; p < k; p++)
        {
            for (int j = 0; j < n; j++)
            {
                staged[(p * width) + j] = o.TransposeB ? o.B[j, p] : o.B[p, j];
            }
        }

        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        ref T b = ref MemoryMarshal.GetReference(staged);
        ref T c0 = ref MemoryMarshal.GetReference(c.Span);
        nint strideA = o.A.Stride;
        bool scale = alpha != T.One;
        var vAlpha = new Vector<T>(alpha);
        int total = m * n;
        int wholeRows = total >= width ? ((total - width) / n) + 1 : 0;
        Span<T> lanes = stackalloc T[Vector<T>.Count];
        for (int i = 0; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * strideA);
            Vector<T> acc = new Vector<T>(ai) * Vector.LoadUnsafe(ref b);
            for (int p = 1; p < k; p++)
            {
                acc = MulAdd(new Vector<T>(Unsafe.Add(ref ai, p)), Vector.LoadUnsafe(ref b, (nuint)(p * width)), acc);
            }

            if (scale)
            {
                acc *= vAlpha;
            }

            if (i < wholeRows)
            {
                acc.StoreUnsafe(ref c0, (nuint)(i * n));
            }
            else
            {
                // Through memory rather than acc[j], which would keep acc out of a register.
                acc.CopyTo(lanes);
                lanes[..n].CopyTo(c.Span[(i * n)..]);
            }
        }
    }

    // Aᵀ·B with narrow B and C (fewer columns than a vector): row p of B is ONE vector (lanes ≥ N hold
    // whatever follows and are never stored), and four rows of C are accumulated in registers over
    // the whole depth, even and odd p into separate sums to halve the multiply-add latency chain.
    // The order depends only on K; rows of B near the end of its span are loaded from a padded copy.
    // Register pressure: 8 accumulators + 2 B rows + broadcasts fit the 16 vector registers of AVX2.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposedTimesNarrow<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int m = o.M, n = o.N, k = o.K;
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        nint strideA = o.A.Stride, strideB = o.B.Stride;
        int bLength = o.B.Span.Length;

        // Rows of B whose whole vector lies inside B's span.
        int direct = bLength >= width ? Math.Min(k, (int)(((long)bLength - width) / strideB) + 1) : 0;

        // The last rows of B (fewer than a vector's worth), zero-padded, copied before the loops: a
        // call inside them would keep the accumulators out of registers.
        Span<T> tail = stackalloc T[Vector<T>.Count * Vector<T>.Count];
        for (int r = direct; r < k; r++)
        {
            o.B.Row(r).CopyTo(tail[((r - direct) * width)..]);
        }

        ref T bt = ref MemoryMarshal.GetReference(tail);
        for (int i0 = 0; i0 < m; i0 += 4)
        {
            // A block past the last row repeats it; the copies are not stored.
            int i1 = Math.Min(i0 + 1, m - 1), i2 = Math.Min(i0 + 2, m - 1), i3 = Math.Min(i0 + 3, m - 1);
            Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
            Vector<T> t0 = Vector<T>.Zero, t1 = Vector<T>.Zero, t2 = Vector<T>.Zero, t3 = Vector<T>.Zero;
            int p = 0;
            for (; p + 1 < direct; p += 2)
            {
                ref T ap = ref Unsafe.Add(ref a, p * strideA);
                ref T aq = ref Unsafe.Add(ref ap, strideA);
                Vector<T> bp = Vector.LoadUnsafe(ref Unsafe.Add(ref b, p * strideB));
                Vector<T> bq = Vector.LoadUnsafe(ref Unsafe.Add(ref b, (p + 1) * strideB));
                s0 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i0)), bp, s0);
                s1 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i1)), bp, s1);
                s2 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i2)), bp, s2);
                s3 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i3)), bp, s3);
                t0 = MulAdd(new Vector<T>(Unsafe.Add(ref aq, i0)), bq, t0);
                t1 = MulAdd(new Vector<T>(Unsafe.Add(ref aq, i1)), bq, t1);
                t2 = MulAdd(new Vector<T>(Unsafe.Add(ref aq, i2)), bq, t2);
                t3 = MulAdd(new Vector<T>(Unsafe.Add(ref aq, i3)), bq, t3);
            }

            // The same pairing on, for the rows of B in the padded copy.
            for (; p < k; p++)
            {
                ref T ap = ref Unsafe.Add(ref a, p * strideA);
                Vector<T> bp = p < direct ? Vector.LoadUnsafe(ref Unsafe.Add(ref b, p * strideB)) : Vector.LoadUnsafe(ref bt, (nuint)((p - direct) * width));
                if ((p & 1) == 0)
                {
                    s0 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i0)), bp, s0);
                    s1 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i1)), bp, s1);
                    s2 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i2)), bp, s2);
                    s3 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i3)), bp, s3);
                }
                else
                {
                    t0 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i0)), bp, t0);
                    t1 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i1)), bp, t1);
                    t2 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i2)), bp, t2);
                    t3 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, i3)), bp, t3);
                }
            }

            StoreNarrowRow(c.Row(i0), s0 + t0, alpha, beta);
            if (i0 + 1 < m)
            {
                StoreNarrowRow(c.Row(i0 + 1), s1 + t1, alpha, beta);
            }

            if (i0 + 2 < m)
            {
                StoreNarrowRow(c.Row(i0 + 2), s2 + t2, alpha, beta);
            }

            if (i0 + 3 < m)
            {
                StoreNarrowRow(c.Row(i0 + 3), s3 + t3, alpha, beta);
            }
        }
    }

    /// <summary><c>row[j] = α·sum[j] (+ β·row[j] unless β = 0)</c> for the row's columns.</summary>
    private static void StoreNarrowRow<T>(Span<T> row, Vector<T> sum, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < row.Length; j++)
        {
            T v = alpha * sum[j];
            row[j] = beta == T.Zero ? v : v + (beta * row[j]);
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
        if (Simd && n >= Vector<T>.Count)
        {
            var vs = new Vector<T>(s);
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> vy = Vector.LoadUnsafe(ref y, (nuint)j);
                MulAdd(vs, Vector.LoadUnsafe(ref x, (nuint)j), vy).StoreUnsafe(ref y, (nuint)j);
            }
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref y, j) = MulAdd(s, Unsafe.Add(ref x, j), Unsafe.Add(ref y, j));
        }
    }

    /// <summary>Σ x[p]·y[p] over p in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(ref T x, ref T y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T sum = T.Zero;
        if (Simd && n >= Vector<T>.Count)
        {
            Vector<T> acc = Vector<T>.Zero;
            for (; p <= n - Vector<T>.Count; p += Vector<T>.Count)
            {
                acc = MulAdd(Vector.LoadUnsafe(ref x, (nuint)p), Vector.LoadUnsafe(ref y, (nuint)p), acc);
            }

            sum = Vector.Sum(acc);
        }

        for (; p < n; p++)
        {
            sum = MulAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref y, p), sum);
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
