using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The blocked, packed GEMM path (Goto/BLIS): loops over NC columns of C, KC of depth and MC rows,
/// B packed once per (NC, KC) block into KC × NR slivers, A packed per (MC, KC) block into MR × KC
/// slivers, and an MR × NR micro-kernel over them. Transposes are absorbed by the packing, so the
/// micro-kernel is the same for all four operations.
/// </summary>
internal static class GemmPacked
{
    /// <summary>Rows of the micro-tile.</summary>
    public const int MR = 8;

    /// <summary>Columns of the micro-tile: two vectors.</summary>
    public static int NR<T>() => 2 * Vector<T>.Count;

    /// <summary>
    /// Depth of a block: an MR × KC sliver of A (8 KiB) and a KC × NR sliver of B (16–32 KiB) stay
    /// in L1 together. Measured on AVX-512 Xeon: 256 float / 128 double beat 128, 384 and 512.
    /// </summary>
#if TUNING
    public static int KC<T>() => typeof(T) == typeof(float) ? Tuning.KcF : Tuning.KcD;
#else
    public static int KC<T>() => typeof(T) == typeof(float) ? 256 : 128;
#endif

    /// <summary>
    /// Columns of a block: the KC × NC panel of B (1 MiB) stays in L2; a wide panel means A is
    /// repacked less often (measured: 1024 beats 128, 256 and 512 by 5–25 %).
    /// </summary>
#if TUNING
    public static int NC<T>() => Tuning.Nc;
#else
    public static int NC<T>() => 1024;
#endif

    /// <summary>Rows of a packed A block.</summary>
#if TUNING
    public static readonly int MC = Tuning.Mc;
#else
    public const int MC = 128;
#endif

    /// <summary>
    /// Whether packing pays for a product of this shape. Measured (both paths forced, 256- and
    /// 512-bit): the unpacked path wins below about 16³ multiply-adds, for depth under 4, for fewer
    /// rows than a micro-tile, and for A·Bᵀ with fewer columns than a vector (a dot product per
    /// element beats a mostly-empty tile); packing wins everywhere else, narrow A·B included.
    /// Without SIMD the micro-kernel would run on a software-emulated vector, so the plain path is
    /// taken.
    /// </summary>
    public static bool Pays<T>(int m, int n, int k, bool transposeA, bool transposeB) =>
        Vector.IsHardwareAccelerated
        && m >= MR
        && k >= 4
        && (long)m * n * k >= 16 * 16 * 16
        && !(transposeB && !transposeA && n < Vector<T>.Count);

    /// <summary>Elements of the per-thread workspace: a B panel, an A block and one edge tile.</summary>
    public static int WorkspaceLength<T>() => (KC<T>() * NC<T>()) + (MC * KC<T>()) + (MR * NR<T>());

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = NR<T>(), kcMax = KC<T>(), ncMax = NC<T>();
        Span<T> workspace = GemmWorkspace<T>.ForCurrentThread(WorkspaceLength<T>());
        Span<T> bPack = workspace[..(kcMax * ncMax)];
        Span<T> aPack = workspace.Slice(kcMax * ncMax, MC * kcMax);
        Span<T> tile = workspace.Slice((kcMax * ncMax) + (MC * kcMax), MR * nr);
        ref T c0 = ref MemoryMarshal.GetReference(c.Span);
        nint ldc = c.Stride;

        for (int jc = 0; jc < o.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, o.N - jc);
            for (int pc = 0; pc < o.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, o.K - pc);
                T blockBeta = pc == 0 ? beta : T.One;
                PackB(o, pc, kc, jc, nc, bPack);
                for (int ic = 0; ic < o.M; ic += MC)
                {
                    int mc = Math.Min(MC, o.M - ic);
                    PackA(o, ic, mc, pc, kc, aPack);
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        ref T aSliver = ref MemoryMarshal.GetReference(aPack.Slice(ir * kc, MR * kc));
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrEdge = Math.Min(nr, nc - jr);
                            ref T bSliver = ref MemoryMarshal.GetReference(bPack.Slice(jr * kc, nr * kc));
                            ref T cTile = ref Unsafe.Add(ref c0, ((ic + ir) * ldc) + jc + jr);
                            if (mr == MR && nrEdge == nr)
                            {
                                MicroKernel(kc, ref aSliver, ref bSliver, ref cTile, ldc, alpha, blockBeta);
                            }
                            else
                            {
                                MicroKernel(kc, ref aSliver, ref bSliver, ref MemoryMarshal.GetReference(tile), nr, alpha, T.Zero);
                                MergeEdge(tile, nr, ref cTile, ldc, mr, nrEdge, blockBeta);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[0..MR, 0..NR) = α · Σₚ a[p·MR + r] · b[p·NR + j] + β · C, with the 16 accumulators held in
    /// registers for the whole depth loop. β = 0 overwrites C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MicroKernel<T>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero;
        Vector<T> c10 = Vector<T>.Zero, c11 = Vector<T>.Zero;
        Vector<T> c20 = Vector<T>.Zero, c21 = Vector<T>.Zero;
        Vector<T> c30 = Vector<T>.Zero, c31 = Vector<T>.Zero;
        Vector<T> c40 = Vector<T>.Zero, c41 = Vector<T>.Zero;
        Vector<T> c50 = Vector<T>.Zero, c51 = Vector<T>.Zero;
        Vector<T> c60 = Vector<T>.Zero, c61 = Vector<T>.Zero;
        Vector<T> c70 = Vector<T>.Zero, c71 = Vector<T>.Zero;
        Vector<T> av;
        for (int p = 0; p < kc; p++)
        {
            Vector<T> b0 = Vector.LoadUnsafe(ref b);
            Vector<T> b1 = Vector.LoadUnsafe(ref b, (nuint)Vector<T>.Count);
            av = new Vector<T>(Unsafe.Add(ref a, 0));
            c00 = SimdMath.FusedMultiplyAdd(av, b0, c00);
            c01 = SimdMath.FusedMultiplyAdd(av, b1, c01);
            av = new Vector<T>(Unsafe.Add(ref a, 1));
            c10 = SimdMath.FusedMultiplyAdd(av, b0, c10);
            c11 = SimdMath.FusedMultiplyAdd(av, b1, c11);
            av = new Vector<T>(Unsafe.Add(ref a, 2));
            c20 = SimdMath.FusedMultiplyAdd(av, b0, c20);
            c21 = SimdMath.FusedMultiplyAdd(av, b1, c21);
            av = new Vector<T>(Unsafe.Add(ref a, 3));
            c30 = SimdMath.FusedMultiplyAdd(av, b0, c30);
            c31 = SimdMath.FusedMultiplyAdd(av, b1, c31);
            av = new Vector<T>(Unsafe.Add(ref a, 4));
            c40 = SimdMath.FusedMultiplyAdd(av, b0, c40);
            c41 = SimdMath.FusedMultiplyAdd(av, b1, c41);
            av = new Vector<T>(Unsafe.Add(ref a, 5));
            c50 = SimdMath.FusedMultiplyAdd(av, b0, c50);
            c51 = SimdMath.FusedMultiplyAdd(av, b1, c51);
            av = new Vector<T>(Unsafe.Add(ref a, 6));
            c60 = SimdMath.FusedMultiplyAdd(av, b0, c60);
            c61 = SimdMath.FusedMultiplyAdd(av, b1, c61);
            av = new Vector<T>(Unsafe.Add(ref a, 7));
            c70 = SimdMath.FusedMultiplyAdd(av, b0, c70);
            c71 = SimdMath.FusedMultiplyAdd(av, b1, c71);
            a = ref Unsafe.Add(ref a, MR);
            b = ref Unsafe.Add(ref b, 2 * Vector<T>.Count);
        }

        StoreRow(ref Unsafe.Add(ref c, 0 * ldc), c00, c01, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 1 * ldc), c10, c11, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, alpha, beta);
        StoreRow(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(ref T c, Vector<T> v0, Vector<T> v1, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var va = new Vector<T>(alpha);
        if (beta == T.Zero)
        {
            (va * v0).StoreUnsafe(ref c);
            (va * v1).StoreUnsafe(ref c, (nuint)Vector<T>.Count);
        }
        else
        {
            var vb = new Vector<T>(beta);
            SimdMath.FusedMultiplyAdd(va, v0, vb * Vector.LoadUnsafe(ref c)).StoreUnsafe(ref c);
            SimdMath.FusedMultiplyAdd(va, v1, vb * Vector.LoadUnsafe(ref c, (nuint)Vector<T>.Count)).StoreUnsafe(ref c, (nuint)Vector<T>.Count);
        }
    }

    /// <summary>Adds the valid mr × nr corner of an edge tile (already scaled by α) into C with β.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge<T>(Span<T> tile, int tileStride, ref T c, nint ldc, int mr, int nr, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < mr; r++)
        {
            ref T cRow = ref Unsafe.Add(ref c, r * ldc);
            Span<T> tRow = tile.Slice(r * tileStride, nr);
            for (int j = 0; j < nr; j++)
            {
                Unsafe.Add(ref cRow, j) = beta == T.Zero ? tRow[j] : tRow[j] + (beta * Unsafe.Add(ref cRow, j));
            }
        }
    }

    /// <summary>
    /// Packs op(A)[ic..ic+mc, pc..pc+kc) into MR-row slivers, each laid out depth-major
    /// (<c>dst[p·MR + r]</c>); rows past the edge are zero so the micro-kernel needs no edge case.
    /// </summary>
    private static void PackA<T>(in GemmOperands<T> o, int ic, int mc, int pc, int kc, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        nint lda = o.A.Stride;
        // op(A)[i, p] is A[i, p] (depth contiguous) or, transposed, A[p, i] (rows contiguous).
        ref T origin = ref o.TransposeA ? ref Unsafe.Add(ref a, (pc * lda) + ic) : ref Unsafe.Add(ref a, (ic * lda) + pc);
        PackSlivers(ref origin, lda, depthContiguous: !o.TransposeA, mc, kc, MR, destination);
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc) into NR-column slivers, each laid out depth-major
    /// (<c>dst[p·NR + j]</c>); columns past the edge are zero.
    /// </summary>
    private static void PackB<T>(in GemmOperands<T> o, int pc, int kc, int jc, int nc, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        nint ldb = o.B.Stride;
        // op(B)[p, j] is B[p, j] (columns contiguous) or, transposed, B[j, p] (depth contiguous).
        ref T origin = ref o.TransposeB ? ref Unsafe.Add(ref b, (jc * ldb) + pc) : ref Unsafe.Add(ref b, (pc * ldb) + jc);
        PackSlivers(ref origin, ldb, depthContiguous: o.TransposeB, nc, kc, NR<T>(), destination);
    }

    /// <summary>
    /// The packing shared by A and B: <paramref name="count"/> items (rows of op(A), columns of
    /// op(B)) × <paramref name="kc"/> depth into slivers of <paramref name="width"/> items, each laid
    /// out depth-major (<c>dst[p·width + item]</c>), items past the edge zero. Item i at depth p is
    /// <c>origin[i·ld + p]</c> when the depth is contiguous (a transposing copy) and
    /// <c>origin[p·ld + i]</c> otherwise (row copies).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSlivers<T>(ref T origin, nint ld, bool depthContiguous, int count, int kc, int width, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int s = 0; s < count; s += width)
        {
            int w = Math.Min(width, count - s);
            Span<T> sliver = destination.Slice(s * kc, width * kc);
            ref T dst = ref MemoryMarshal.GetReference(sliver);
            if (w < width)
            {
                sliver.Clear();
            }

            if (depthContiguous)
            {
                Transpose.Block(ref Unsafe.Add(ref origin, s * ld), ld, w, kc, ref dst, width);
                continue;
            }

            for (int p = 0; p < kc; p++)
            {
                ref T src = ref Unsafe.Add(ref origin, (p * ld) + s);
                ref T d = ref Unsafe.Add(ref dst, p * width);
                int j = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    for (; j <= w - Vector<T>.Count; j += Vector<T>.Count)
                    {
                        Vector.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref d, (nuint)j);
                    }
                }

                for (; j < w; j++)
                {
                    Unsafe.Add(ref d, j) = Unsafe.Add(ref src, j);
                }
            }
        }
    }
}
