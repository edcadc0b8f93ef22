using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// The blocked, packed GEMM path (Goto/BLIS): loops over NC columns of C, KC of depth and MC rows,
/// B packed once per (NC, KC) block into KC × NR slivers, A packed per (MC, KC) block into MR × KC
/// slivers, and an MR × NR micro-kernel over them. Transposes are absorbed by the packing, so the
/// micro-kernel is the same for all four operations.
/// </summary>
internal static class GemmPacked
{
    /// <summary>The width of the kernel in use (<see cref="KernelSimd.VectorBits"/>, read once).</summary>
    private static readonly int Width = KernelSimd.VectorBits;

    /// <summary>Rows of the micro-tile of the kernel in use.</summary>
    public static int MR<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => Width switch
        {
            512 => Kernel512<T>.MR,
            256 => Kernel6x2<T, Vector256<T>, Simd256<T>>.MR,
            128 => GemmMath.Fused ? Kernel6x2<T, Vector128<T>, Simd128<T>>.MR : Kernel128Split<T>.MR,
            _ => KernelScalar<T>.MR,
        };

    /// <summary>Columns of the micro-tile of the kernel in use.</summary>
    public static int NR<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => Width switch
        {
            512 => Kernel512<T>.NR,
            256 => Kernel6x2<T, Vector256<T>, Simd256<T>>.NR,
            128 => GemmMath.Fused ? Kernel6x2<T, Vector128<T>, Simd128<T>>.NR : Kernel128Split<T>.NR,
            _ => KernelScalar<T>.NR,
        };

    /// <summary>The kernel in use, e.g. "256-bit 6×16 FMA" (tests and benchmark reports name it).</summary>
    public static string KernelName<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        $"{(Width == 0 ? "scalar" : $"{Width}-bit")} {MR<T>()}×{NR<T>()} {(Width == 512 || (Width != 0 && GemmMath.Fused) ? "FMA" : "multiply+add")}";

    /// <summary>Packed products run on this thread by the kernel of <paramref name="bits"/> (tests prove the chosen width ran).</summary>
    public static long CallsOnThisThread(int bits) => bits switch
    {
        512 => Calls<Kernel512<float>>.Count + Calls<Kernel512<double>>.Count,
        256 => Calls<Kernel6x2<float, Vector256<float>, Simd256<float>>>.Count + Calls<Kernel6x2<double, Vector256<double>, Simd256<double>>>.Count,
        128 => Calls<Kernel6x2<float, Vector128<float>, Simd128<float>>>.Count + Calls<Kernel6x2<double, Vector128<double>, Simd128<double>>>.Count + Calls<Kernel128Split<float>>.Count + Calls<Kernel128Split<double>>.Count,
        _ => Calls<KernelScalar<float>>.Count + Calls<KernelScalar<double>>.Count,
    };

    /// <summary>
    /// Whether packing pays for a product of this shape. Measured (both paths forced, 256- and
    /// 512-bit): the unpacked path wins below about 16³ multiply-adds, for depth under 4, for fewer
    /// rows than a micro-tile, and for A·Bᵀ with fewer columns than a vector (a dot product per
    /// element beats a mostly-empty tile); packing wins everywhere else, narrow A·B included.
    /// Without SIMD (width 0) the unpacked path is taken.
    /// </summary>
    public static bool Pays<T>(int m, int n, int k, bool transposeA, bool transposeB)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Width != 0
        && m >= MR<T>()
        && k >= 4
        && (long)m * n * k >= 16 * 16 * 16
        && !(transposeB && !transposeA && n < Vector<T>.Count);

    /// <summary>Runs the product with the kernel chosen for this process, packing into <paramref name="workspace"/>.</summary>
    public static void Run<T>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, GemmWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, NoEpilogue<T>>(o, c, alpha, beta, default, workspace);

    /// <summary>
    /// Runs the product with the kernel chosen for this process and epilogue <typeparamref name="TEpilogue"/>
    /// applied in the last depth block, summing op(B)'s columns into <c>epilogue.ColumnSums</c> while B
    /// is packed when that span is not empty.
    /// </summary>
    public static void Run<T, TEpilogue>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, in GemmEpilogueData<T> epilogue, GemmWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        switch (Width)
        {
            case 512:
                Run<T, Kernel512<T>, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
                break;
            case 256:
                Run<T, Kernel6x2<T, Vector256<T>, Simd256<T>>, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
                break;
            case 128 when GemmMath.Fused:
                Run<T, Kernel6x2<T, Vector128<T>, Simd128<T>>, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
                break;
            case 128:
                Run<T, Kernel128Split<T>, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
                break;
            default:
                Run<T, KernelScalar<T>, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
                break;
        }
    }

    /// <summary>Elements of a <see cref="GemmWorkspace{T}"/> for the kernel chosen for this process.</summary>
    public static int WorkspaceLength<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => Width switch
        {
            512 => WorkspaceLength<T, Kernel512<T>>(),
            256 => WorkspaceLength<T, Kernel6x2<T, Vector256<T>, Simd256<T>>>(),
            128 => GemmMath.Fused ? WorkspaceLength<T, Kernel6x2<T, Vector128<T>, Simd128<T>>>() : WorkspaceLength<T, Kernel128Split<T>>(),
            _ => WorkspaceLength<T, KernelScalar<T>>(),
        };

    /// <summary>Elements of the workspace for kernel <typeparamref name="TKernel"/>: a B panel, an A block and one edge tile.</summary>
    private static int WorkspaceLength<T, TKernel>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T> =>
        (TKernel.KC * TKernel.NC) + (TKernel.MC * TKernel.KC) + (TKernel.MR * TKernel.NR);

    /// <summary>The five BLIS loops around <typeparamref name="TKernel"/>'s micro-kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<T, TKernel>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, GemmWorkspace<T> owner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T> =>
        Run<T, TKernel, NoEpilogue<T>>(o, c, alpha, beta, default, owner);

    /// <summary>The five BLIS loops around <typeparamref name="TKernel"/>'s micro-kernel, with an epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<T, TKernel, TEpilogue>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, in GemmEpilogueData<T> epilogue, GemmWorkspace<T> owner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        Span<T> workspace = owner.Acquire(WorkspaceLength<T, TKernel>());
        try
        {
            Run<T, TKernel, TEpilogue>(o, c, alpha, beta, epilogue, workspace);
        }
        finally
        {
            owner.Release();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TKernel, TEpilogue>(in GemmOperands<T> o, MatrixSpan<T> c, T alpha, T beta, in GemmEpilogueData<T> epilogue, Span<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        Calls<TKernel>.Count++;
        int mrFull = TKernel.MR, nr = TKernel.NR, kcMax = TKernel.KC, ncMax = TKernel.NC, mcMax = TKernel.MC;
        Span<T> bPack = workspace[..(kcMax * ncMax)];
        Span<T> aPack = workspace.Slice(kcMax * ncMax, mcMax * kcMax);
        Span<T> tile = workspace.Slice((kcMax * ncMax) + (mcMax * kcMax), mrFull * nr);
        Span<T> columnSums = epilogue.ColumnSums;

        for (int jc = 0; jc < o.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, o.N - jc);
            for (int pc = 0; pc < o.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, o.K - pc);
                T blockBeta = pc == 0 ? beta : T.One;

                // The epilogue runs once per element, in the last depth block, on the finished sum.
                bool finish = TEpilogue.Active && pc + kc >= o.K;
                PackB<T, TKernel>(o, pc, kc, jc, nc, bPack);
                if (!columnSums.IsEmpty)
                {
                    SumPanel<T, TKernel>(bPack, kc, columnSums.Slice(jc, nc), first: pc == 0);
                }

                for (int ic = 0; ic < o.M; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, o.M - ic);
                    PackA<T, TKernel>(o, ic, mc, pc, kc, aPack);
                    Block<T, TKernel, TEpilogue>(aPack, ref MemoryMarshal.GetReference(bPack), kc, ic, mc, jc, nc, c, alpha, blockBeta, finish, epilogue, tile);
                }
            }
        }
    }

    /// <summary>
    /// The two inner loops over one packed A block (rows ic..ic+mc) and one packed B panel (columns
    /// jc..jc+nc, depth kc): every MR × NR tile through the micro-kernel, edge tiles through
    /// <paramref name="tile"/> and merged (or finished, in the last depth block), so the
    /// prepacked-weights product (<see cref="GemmPrepacked"/>) runs exactly these loops on its panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Block<T, TKernel, TEpilogue>(Span<T> aPack, ref T bPanel, int kc, int ic, int mc, int jc, int nc, MatrixSpan<T> c, T alpha, T blockBeta, bool finish, in GemmEpilogueData<T> epilogue, Span<T> tile)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        int mrFull = TKernel.MR, nr = TKernel.NR;
        ref T c0 = ref MemoryMarshal.GetReference(c.Span);
        nint ldc = c.Stride;
        ref T bias0 = ref MemoryMarshal.GetReference(epilogue.Bias);
        ref T aux0 = ref MemoryMarshal.GetReference(epilogue.Aux.Span);
        nint ldaux = epilogue.Aux.Stride;

        for (int ir = 0; ir < mc; ir += mrFull)
        {
            int mr = Math.Min(mrFull, mc - ir);
            ref T aSliver = ref MemoryMarshal.GetReference(aPack.Slice(ir * kc, mrFull * kc));
            for (int jr = 0; jr < nc; jr += nr)
            {
                int nrEdge = Math.Min(nr, nc - jr);
                ref T bSliver = ref Unsafe.Add(ref bPanel, jr * kc);
                ref T cTile = ref Unsafe.Add(ref c0, ((ic + ir) * ldc) + jc + jr);
                if (mr == mrFull && nrEdge == nr)
                {
                    if (finish)
                    {
                        ref T bias = ref Unsafe.Add(ref bias0, jc + jr);
                        ref T aux = ref Unsafe.Add(ref aux0, ((ic + ir) * ldaux) + jc + jr);
                        TKernel.Tile<TEpilogue>(kc, ref aSliver, ref bSliver, ref cTile, ldc, alpha, blockBeta, ref bias, ref aux, ldaux);
                    }
                    else
                    {
                        TKernel.Tile<NoEpilogue<T>>(kc, ref aSliver, ref bSliver, ref cTile, ldc, alpha, blockBeta, ref bias0, ref aux0, 0);
                    }
                }
                else if (mr <= TKernel.EdgePairRows && jr + (2 * nr) <= nc)
                {
                    // A short edge sliver against this and the next whole B sliver at once,
                    // without the padding rows a full tile would compute.
                    TKernel.EdgePair(kc, ref aSliver, ref bSliver, ref MemoryMarshal.GetReference(tile), alpha);
                    Span<T> second = tile[(2 * nr)..];
                    if (finish)
                    {
                        FinishEdge<T, TKernel, TEpilogue>(tile, ref cTile, ldc, mr, nr, blockBeta, epilogue, ic + ir, jc + jr);
                        FinishEdge<T, TKernel, TEpilogue>(second, ref Unsafe.Add(ref cTile, nr), ldc, mr, nr, blockBeta, epilogue, ic + ir, jc + jr + nr);
                    }
                    else
                    {
                        MergeEdge(tile, nr, ref cTile, ldc, mr, nr, blockBeta);
                        MergeEdge(second, nr, ref Unsafe.Add(ref cTile, nr), ldc, mr, nr, blockBeta);
                    }

                    jr += nr;
                }
                else
                {
                    TKernel.Tile<NoEpilogue<T>>(kc, ref aSliver, ref bSliver, ref MemoryMarshal.GetReference(tile), nr, alpha, T.Zero, ref bias0, ref aux0, 0);
                    if (finish)
                    {
                        FinishEdge<T, TKernel, TEpilogue>(tile, ref cTile, ldc, mr, nrEdge, blockBeta, epilogue, ic + ir, jc + jr);
                    }
                    else
                    {
                        MergeEdge(tile, nr, ref cTile, ldc, mr, nrEdge, blockBeta);
                    }
                }
            }
        }
    }

    /// <summary>
    /// An edge tile of the last depth block with an epilogue: each valid row merged as <see cref="MergeEdge{T}"/>
    /// does, its bias and aux copied into NR-wide zero-padded rows, the epilogue applied to the whole
    /// row with the kernel's vectors (<see cref="IGemmKernel{T}.Finish{TEpilogue}"/>, the same vector
    /// operations as a full tile's store), and the valid part stored into C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FinishEdge<T, TKernel, TEpilogue>(Span<T> tile, ref T c, nint ldc, int mr, int nrEdge, T beta, in GemmEpilogueData<T> epilogue, int row, int column)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        int nr = TKernel.NR;
        Span<T> pads = stackalloc T[2 * TKernel.NR];
        pads.Clear();
        Span<T> bias = pads[..nr], aux = pads[nr..];
        if (TEpilogue.ReadsBias)
        {
            epilogue.Bias.Slice(column, nrEdge).CopyTo(bias);
        }

        for (int r = 0; r < mr; r++)
        {
            ref T cRow = ref Unsafe.Add(ref c, r * ldc);
            Span<T> tRow = tile.Slice(r * nr, nr);
            for (int j = 0; j < nrEdge; j++)
            {
                tRow[j] = beta == T.Zero ? tRow[j] : tRow[j] + (beta * Unsafe.Add(ref cRow, j));
            }

            if (TEpilogue.ReadsAux)
            {
                epilogue.Aux.Row(row + r).Slice(column, nrEdge).CopyTo(aux);
            }

            TKernel.Finish<TEpilogue>(ref MemoryMarshal.GetReference(tRow), ref MemoryMarshal.GetReference(bias), ref MemoryMarshal.GetReference(aux));
            tRow[..nrEdge].CopyTo(MemoryMarshal.CreateSpan(ref cRow, nrEdge));
        }
    }

    /// <summary>
    /// Adds the columns of a packed B panel (slivers of NR columns, depth-major, padding zero) into
    /// <paramref name="sums"/>, starting from zero when <paramref name="first"/>: each column summed
    /// from its first depth row to its last, one add chain per column (lanes are independent), which
    /// is <see cref="RowColumnOps.SumColumns{T}"/>'s order, so the sums are bit-identical to it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumPanel<T, TKernel>(Span<T> panel, int kc, Span<T> sums, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int nr = TKernel.NR;
        Span<T> running = stackalloc T[TKernel.NR];
        for (int s = 0; s < sums.Length; s += nr)
        {
            int w = Math.Min(nr, sums.Length - s);
            running.Clear();
            if (!first)
            {
                sums.Slice(s, w).CopyTo(running);
            }

            SumSliver<T, TKernel>(ref MemoryMarshal.GetReference(panel.Slice(s * kc, nr * kc)), kc, running);
            running[..w].CopyTo(sums.Slice(s, w));
        }
    }

    /// <summary><c>running[j] += Σₚ sliver[p·NR + j]</c>, p in order, with the kernel's vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumSliver<T, TKernel>(ref T sliver, int kc, Span<T> running)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int nr = TKernel.NR;
        ref T r = ref MemoryMarshal.GetReference(running);
        if (TKernel.Bits == 512)
        {
            int w = Vector512<T>.Count;
            Vector512<T> s0 = Vector512.LoadUnsafe(ref r), s1 = Vector512.LoadUnsafe(ref r, (nuint)w);
            for (int p = 0; p < kc; p++)
            {
                ref T row = ref Unsafe.Add(ref sliver, p * nr);
                s0 += Vector512.LoadUnsafe(ref row);
                s1 += Vector512.LoadUnsafe(ref row, (nuint)w);
            }

            s0.StoreUnsafe(ref r);
            s1.StoreUnsafe(ref r, (nuint)w);
        }
        else if (TKernel.Bits == 256)
        {
            int w = Vector256<T>.Count;
            Vector256<T> s0 = Vector256.LoadUnsafe(ref r), s1 = Vector256.LoadUnsafe(ref r, (nuint)w);
            for (int p = 0; p < kc; p++)
            {
                ref T row = ref Unsafe.Add(ref sliver, p * nr);
                s0 += Vector256.LoadUnsafe(ref row);
                s1 += Vector256.LoadUnsafe(ref row, (nuint)w);
            }

            s0.StoreUnsafe(ref r);
            s1.StoreUnsafe(ref r, (nuint)w);
        }
        else if (TKernel.Bits == 128)
        {
            int w = Vector128<T>.Count;
            Vector128<T> s0 = Vector128.LoadUnsafe(ref r), s1 = Vector128.LoadUnsafe(ref r, (nuint)w);
            for (int p = 0; p < kc; p++)
            {
                ref T row = ref Unsafe.Add(ref sliver, p * nr);
                s0 += Vector128.LoadUnsafe(ref row);
                s1 += Vector128.LoadUnsafe(ref row, (nuint)w);
            }

            s0.StoreUnsafe(ref r);
            s1.StoreUnsafe(ref r, (nuint)w);
        }
        else
        {
            for (int j = 0; j < nr; j++)
            {
                T sum = running[j];
                for (int p = 0; p < kc; p++)
                {
                    sum += Unsafe.Add(ref sliver, (p * nr) + j);
                }

                running[j] = sum;
            }
        }
    }

    /// <summary>
    /// Adds the valid mr × nr corner of an edge tile (already α·acc) into C as <c>t + β·C</c>: the
    /// same operations, in the same order, as the micro-kernels' full-tile store, so an element's
    /// bits do not depend on which tile case computed it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MergeEdge<T>(Span<T> tile, int tileStride, ref T c, nint ldc, int mr, int nr, T beta)
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

    /// <summary>Per-thread count of packed products run by one kernel.</summary>
    internal static class Calls<TKernel>
    {
        [ThreadStatic]
        public static long Count;
    }

    /// <summary>
    /// Packs op(A)[ic..ic+mc, pc..pc+kc) into MR-row slivers, each laid out depth-major
    /// (<c>dst[p·MR + r]</c>); rows past the edge are zero so the micro-kernel needs no edge case.
    /// </summary>
    internal static void PackA<T, TKernel>(in GemmOperands<T> o, int ic, int mc, int pc, int kc, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        ref T a = ref MemoryMarshal.GetReference(o.A.Span);
        nint lda = o.A.Stride;
        // op(A)[i, p] is A[i, p] (depth contiguous) or, transposed, A[p, i] (rows contiguous).
        ref T origin = ref o.TransposeA ? ref Unsafe.Add(ref a, (pc * lda) + ic) : ref Unsafe.Add(ref a, (ic * lda) + pc);
        PackSlivers<T, TKernel>(ref origin, lda, depthContiguous: !o.TransposeA, mc, kc, TKernel.MR, destination);
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc) into NR-column slivers, each laid out depth-major
    /// (<c>dst[p·NR + j]</c>); columns past the edge are zero.
    /// </summary>
    private static void PackB<T, TKernel>(in GemmOperands<T> o, int pc, int kc, int jc, int nc, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        ref T b = ref MemoryMarshal.GetReference(o.B.Span);
        nint ldb = o.B.Stride;
        // op(B)[p, j] is B[p, j] (columns contiguous) or, transposed, B[j, p] (depth contiguous).
        ref T origin = ref o.TransposeB ? ref Unsafe.Add(ref b, (jc * ldb) + pc) : ref Unsafe.Add(ref b, (pc * ldb) + jc);
        PackSlivers<T, TKernel>(ref origin, ldb, depthContiguous: o.TransposeB, nc, kc, TKernel.NR, destination);
    }

    /// <summary>
    /// The packing shared by A and B: <paramref name="count"/> items (rows of op(A), columns of
    /// op(B)) × <paramref name="kc"/> depth into slivers of <paramref name="width"/> items, each laid
    /// out depth-major (<c>dst[p·width + item]</c>), items past the edge zero. Item i at depth p is
    /// <c>origin[i·ld + p]</c> when the depth is contiguous (a transposing copy) and
    /// <c>origin[p·ld + i]</c> otherwise (row copies).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackSlivers<T, TKernel>(ref T origin, nint ld, bool depthContiguous, int count, int kc, int width, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
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

            ref T src = ref Unsafe.Add(ref origin, s);
            if (w == TKernel.NR && width == TKernel.NR)
            {
                // A whole B sliver: a constant count, so the copy is straight-line vector moves.
                for (int p = 0; p < kc; p++)
                {
                    TKernel.Copy(ref src, ref dst, TKernel.NR);
                    src = ref Unsafe.Add(ref src, ld);
                    dst = ref Unsafe.Add(ref dst, TKernel.NR);
                }

                continue;
            }

            for (int p = 0; p < kc; p++)
            {
                TKernel.Copy(ref src, ref dst, w);
                src = ref Unsafe.Add(ref src, ld);
                dst = ref Unsafe.Add(ref dst, width);
            }
        }
    }
}
