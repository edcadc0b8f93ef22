using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// One register-blocked GEMM micro-kernel and the blocking that suits it. The five BLIS loops
/// (<see cref="GemmPacked"/>) are written once over this interface; each implementation is a small
/// struct, so the JIT compiles a separate, fully specialised copy of the loops per kernel.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IGemmKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The vector width the kernel uses: 512, 256, 128, or 0 for scalar code.</summary>
    static abstract int Bits { get; }

    /// <summary>Rows of the micro-tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the micro-tile (a whole number of vectors).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of a block (an MR × KC sliver of A and a KC × NR sliver of B stay in L1).</summary>
    static abstract int KC { get; }

    /// <summary>Rows of a packed A block (a multiple of MR; the MC × KC block stays in L2).</summary>
    static abstract int MC { get; }

    /// <summary>Columns of a packed B panel (a multiple of NR).</summary>
    static abstract int NC { get; }

    /// <summary>
    /// C[0..MR, 0..NR) = α · Σₚ a[p·MR + r] · b[p·NR + j] (+ β · C unless β = 0), the MR × NR
    /// accumulators held in registers for the whole depth loop. Every element is stored as
    /// <c>α·acc</c> (β = 0) or <c>α·acc + β·C</c>, each product rounded, exactly as
    /// <see cref="GemmPacked"/>'s scalar edge merge does, so an element's bits never depend on
    /// whether its tile was full or an edge.
    /// </summary>
    /// <remarks>
    /// Where <typeparamref name="TEpilogue"/> is active, each stored vector then passes through its
    /// <c>Apply</c> (a bias and activation, or an activation's backward) before the store, with
    /// <paramref name="bias"/> at the tile's first column and <paramref name="aux"/> at the tile's
    /// first element of a matrix of C's shape (row stride <paramref name="ldaux"/>); both are only
    /// read, and only by epilogues that use them.
    /// </remarks>
    static abstract void Tile<TEpilogue>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta, ref T bias, ref T aux, nint ldaux)
        where TEpilogue : struct, IGemmEpilogue<T>;

    /// <summary>
    /// Applies <typeparamref name="TEpilogue"/> in place to one row of NR elements (an edge tile's row
    /// in the temporary tile, with its bias and aux padded to NR), with the same vectors as
    /// <see cref="Tile{TEpilogue}"/>'s store, so an element's bits do not depend on its tile's case.
    /// </summary>
    static abstract void Finish<TEpilogue>(ref T row, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>;

    /// <summary>Copies <paramref name="count"/> contiguous elements (the packing's row copies) with the kernel's vectors.</summary>
    static abstract void Copy(ref T source, ref T destination, int count);

    /// <summary>
    /// The most rows of an edge sliver <see cref="EdgePair"/> takes (0: the kernel has none, and every
    /// edge tile runs <see cref="Tile{TEpilogue}"/> on its padded rows).
    /// </summary>
    static virtual int EdgePairRows => 0;

    /// <summary>
    /// The first <see cref="EdgePairRows"/> rows of an A sliver against two adjacent B slivers
    /// (<paramref name="b"/> and <paramref name="b"/> + kc·NR): <c>α·acc</c> of sliver 0 into rows 0
    /// and 1 of <paramref name="tile"/> (row stride NR) and of sliver 1 into rows 2 and 3. Each element
    /// is summed in the same order with the same multiply-add as in <see cref="Tile{TEpilogue}"/>, so
    /// its bits are those a full tile gives; it skips the padding rows a 6-row tile would compute for a
    /// 2-row edge (a batch of 128 rows is 21 tiles of 6 and 2 rows).
    /// </summary>
    static virtual void EdgePair(int kc, ref T a, ref T b, ref T tile, T alpha) => throw new NotSupportedException();
}

/// <summary>
/// Multiply-add per width: fused where the hardware fuses (FMA3 on x64, AdvSIMD on Arm64), else a
/// separate multiply and add (two roundings; the result may differ from the fused one in the last
/// bit), never the runtime's lane-by-lane software fusion. The conditions are JIT-time constants.
/// </summary>
internal static class GemmMath
{
    /// <summary>
    /// Whether the 128- and 256-bit kernels fuse (the same test as <see cref="KernelSimd.FusedMultiplyAdd"/>,
    /// written out so the JIT folds it). A non-short-circuit <c>|</c> on purpose: with <c>||</c> the
    /// inlined multiply-add became a branch, its arguments temporaries, and the AVX2 and 128-bit depth
    /// loops gained a register move after every second FMA (7 per iteration; tests/Properties/Kernels/GemmKernelsCodegenTests.cs).
    /// </summary>
    public static bool Fused => Fma.IsSupported | AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged
    {
        // Every AVX-512 part has FMA3.
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }

        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged
    {
        if (!Fused)
        {
            return (a * b) + c;
        }

        if (typeof(T) == typeof(float))
        {
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }

        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MulAdd<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        where T : unmanaged
    {
        if (!Fused)
        {
            return (a * b) + c;
        }

        if (typeof(T) == typeof(float))
        {
            return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }

        return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }
}

/// <summary>
/// AVX-512 (32 vector registers): 8 rows × 2 vectors (16 accumulators, 2 B vectors, 1 broadcast:
/// 19 registers). Blocking measured on the AVX-512 Xeon of <c>benchmarks/results</c>: KC 256 float /
/// 128 double beat 128, 384 and 512; NC 1024 beat 128–512 by 5–25 %.
/// </summary>
internal readonly struct Kernel512<T> : IGemmKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Bits => 512;

    public static int MR => 8;

    public static int NR => 2 * Vector512<T>.Count;

    public static int KC => typeof(T) == typeof(float) ? 256 : 128;

    public static int MC => 128;

    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TEpilogue>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta, ref T bias, ref T aux, nint ldaux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<T> b1 = Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count);
            Vector512<T> av = Vector512.Create(a);
            c00 = GemmMath.MulAdd(b0, av, c00);
            c01 = GemmMath.MulAdd(b1, av, c01);
            av = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = GemmMath.MulAdd(b0, av, c10);
            c11 = GemmMath.MulAdd(b1, av, c11);
            av = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = GemmMath.MulAdd(b0, av, c20);
            c21 = GemmMath.MulAdd(b1, av, c21);
            av = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = GemmMath.MulAdd(b0, av, c30);
            c31 = GemmMath.MulAdd(b1, av, c31);
            av = Vector512.Create(Unsafe.Add(ref a, 4));
            c40 = GemmMath.MulAdd(b0, av, c40);
            c41 = GemmMath.MulAdd(b1, av, c41);
            av = Vector512.Create(Unsafe.Add(ref a, 5));
            c50 = GemmMath.MulAdd(b0, av, c50);
            c51 = GemmMath.MulAdd(b1, av, c51);
            av = Vector512.Create(Unsafe.Add(ref a, 6));
            c60 = GemmMath.MulAdd(b0, av, c60);
            c61 = GemmMath.MulAdd(b1, av, c61);
            av = Vector512.Create(Unsafe.Add(ref a, 7));
            c70 = GemmMath.MulAdd(b0, av, c70);
            c71 = GemmMath.MulAdd(b1, av, c71);
            a = ref Unsafe.Add(ref a, 8);
            b = ref Unsafe.Add(ref b, 2 * Vector512<T>.Count);
        }

        Store<TEpilogue>(ref c, c00, c01, alpha, beta, ref bias, ref aux);
        Store<TEpilogue>(ref Unsafe.Add(ref c, ldc), c10, c11, alpha, beta, ref bias, ref Unsafe.Add(ref aux, ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 2 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 3 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 4 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 5 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 6 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 7 * ldaux));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref T source, ref T destination, int count) => PackCopy.Copy(ref source, ref destination, count, 512);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish<TEpilogue>(ref T row, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        TEpilogue.Apply(Vector512.LoadUnsafe(ref row), ref bias, ref aux).StoreUnsafe(ref row);
        TEpilogue.Apply(Vector512.LoadUnsafe(ref row, (nuint)Vector512<T>.Count), ref Unsafe.Add(ref bias, Vector512<T>.Count), ref Unsafe.Add(ref aux, Vector512<T>.Count))
            .StoreUnsafe(ref row, (nuint)Vector512<T>.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(ref T c, Vector512<T> v0, Vector512<T> v1, T alpha, T beta, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        var va = Vector512.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != T.Zero)
        {
            var vb = Vector512.Create(beta);
            v0 += vb * Vector512.LoadUnsafe(ref c);
            v1 += vb * Vector512.LoadUnsafe(ref c, (nuint)Vector512<T>.Count);
        }

        if (TEpilogue.Active)
        {
            v0 = TEpilogue.Apply(v0, ref bias, ref aux);
            v1 = TEpilogue.Apply(v1, ref Unsafe.Add(ref bias, Vector512<T>.Count), ref Unsafe.Add(ref aux, Vector512<T>.Count));
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, (nuint)Vector512<T>.Count);
    }
}

/// <summary>
/// 6 rows × 2 vectors at 256 bits (<c>TW</c> = <see cref="Simd256{T}"/>) and at 128 bits with fused
/// multiply-add (<see cref="Simd128{T}"/>), written once. AVX2 has 16 vector registers: 12
/// accumulators, 2 B vectors and 1 broadcast take 15, the BLIS/OpenBLAS Haswell shape; 8 × 2 needs 19
/// and spills. (.NET 10 on x64 accelerates 256-bit vectors only with AVX2, and every AVX2 part has
/// FMA3.) At 128 bits (SSE with FMA3: 16 registers; Arm NEON: 32) the same budget; without FMA
/// <see cref="Kernel128Split{T}"/> runs instead. Blocking as the 512-bit kernel's (KC 256 float / 128
/// double, NC 1024), MC 144 = 24 tiles so a batch of 128 rows is one block (at 128 bits the slivers
/// are half as wide, so they fit L1 with room to spare).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TV">The vector type of <typeparamref name="TW"/>.</typeparam>
/// <typeparam name="TW">The width: <see cref="Simd256{T}"/> or <see cref="Simd128{T}"/>.</typeparam>
internal readonly struct Kernel6x2<T, TV, TW> : IGemmKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TV : struct
    where TW : struct, ISimdWidth<T, TV>
{
    public static int Bits => TW.Count * Unsafe.SizeOf<T>() * 8;

    public static int MR => 6;

    public static int NR => 2 * TW.Count;

    public static int KC => typeof(T) == typeof(float) ? 256 : 128;

    public static int MC => 144;

    public static int NC => 1024;

    public static int EdgePairRows => 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TEpilogue>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta, ref T bias, ref T aux, nint ldaux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        TV c00 = TW.Zero, c01 = TW.Zero, c10 = TW.Zero, c11 = TW.Zero;
        TV c20 = TW.Zero, c21 = TW.Zero, c30 = TW.Zero, c31 = TW.Zero;
        TV c40 = TW.Zero, c41 = TW.Zero, c50 = TW.Zero, c51 = TW.Zero;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TW.Load(ref b, 0);
            TV b1 = TW.Load(ref b, (nuint)TW.Count);
            TV av = TW.Create(a);
            c00 = TW.MultiplyAdd(b0, av, c00);
            c01 = TW.MultiplyAdd(b1, av, c01);
            av = TW.Create(Unsafe.Add(ref a, 1));
            c10 = TW.MultiplyAdd(b0, av, c10);
            c11 = TW.MultiplyAdd(b1, av, c11);
            av = TW.Create(Unsafe.Add(ref a, 2));
            c20 = TW.MultiplyAdd(b0, av, c20);
            c21 = TW.MultiplyAdd(b1, av, c21);
            av = TW.Create(Unsafe.Add(ref a, 3));
            c30 = TW.MultiplyAdd(b0, av, c30);
            c31 = TW.MultiplyAdd(b1, av, c31);
            av = TW.Create(Unsafe.Add(ref a, 4));
            c40 = TW.MultiplyAdd(b0, av, c40);
            c41 = TW.MultiplyAdd(b1, av, c41);
            av = TW.Create(Unsafe.Add(ref a, 5));
            c50 = TW.MultiplyAdd(b0, av, c50);
            c51 = TW.MultiplyAdd(b1, av, c51);
            a = ref Unsafe.Add(ref a, 6);
            b = ref Unsafe.Add(ref b, 2 * TW.Count);
        }

        Store<TEpilogue>(ref c, c00, c01, alpha, beta, ref bias, ref aux);
        Store<TEpilogue>(ref Unsafe.Add(ref c, ldc), c10, c11, alpha, beta, ref bias, ref Unsafe.Add(ref aux, ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 2 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 3 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 4 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 5 * ldaux));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EdgePair(int kc, ref T a, ref T b, ref T tile, T alpha)
    {
        ref T b2 = ref Unsafe.Add(ref b, kc * NR);
        TV c00 = TW.Zero, c01 = TW.Zero, c02 = TW.Zero, c03 = TW.Zero;
        TV c10 = TW.Zero, c11 = TW.Zero, c12 = TW.Zero, c13 = TW.Zero;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TW.Load(ref b, 0);
            TV b1 = TW.Load(ref b, (nuint)TW.Count);
            TV b2v = TW.Load(ref b2, 0);
            TV b3 = TW.Load(ref b2, (nuint)TW.Count);
            TV av = TW.Create(a);
            c00 = TW.MultiplyAdd(b0, av, c00);
            c01 = TW.MultiplyAdd(b1, av, c01);
            c02 = TW.MultiplyAdd(b2v, av, c02);
            c03 = TW.MultiplyAdd(b3, av, c03);
            av = TW.Create(Unsafe.Add(ref a, 1));
            c10 = TW.MultiplyAdd(b0, av, c10);
            c11 = TW.MultiplyAdd(b1, av, c11);
            c12 = TW.MultiplyAdd(b2v, av, c12);
            c13 = TW.MultiplyAdd(b3, av, c13);
            a = ref Unsafe.Add(ref a, MR);
            b = ref Unsafe.Add(ref b, NR);
            b2 = ref Unsafe.Add(ref b2, NR);
        }

        TV va = TW.Create(alpha);
        nuint half = (nuint)TW.Count, nr = (nuint)NR;
        TW.Store(TW.Multiply(c00, va), ref tile, 0);
        TW.Store(TW.Multiply(c01, va), ref tile, half);
        TW.Store(TW.Multiply(c10, va), ref tile, nr);
        TW.Store(TW.Multiply(c11, va), ref tile, nr + half);
        TW.Store(TW.Multiply(c02, va), ref tile, 2 * nr);
        TW.Store(TW.Multiply(c03, va), ref tile, (2 * nr) + half);
        TW.Store(TW.Multiply(c12, va), ref tile, 3 * nr);
        TW.Store(TW.Multiply(c13, va), ref tile, (3 * nr) + half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref T source, ref T destination, int count) => PackCopy.Copy(ref source, ref destination, count, Bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish<TEpilogue>(ref T row, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        nuint n = (nuint)TW.Count;
        TW.Store(TW.ApplyEpilogue<TEpilogue>(TW.Load(ref row, 0), ref bias, ref aux), ref row, 0);
        TW.Store(TW.ApplyEpilogue<TEpilogue>(TW.Load(ref row, n), ref Unsafe.Add(ref bias, n), ref Unsafe.Add(ref aux, n)), ref row, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(ref T c, TV v0, TV v1, T alpha, T beta, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        nuint n = (nuint)TW.Count;
        TV va = TW.Create(alpha);
        v0 = TW.Multiply(v0, va);
        v1 = TW.Multiply(v1, va);
        if (beta != T.Zero)
        {
            TV vb = TW.Create(beta);
            v0 = TW.Add(v0, TW.Multiply(vb, TW.Load(ref c, 0)));
            v1 = TW.Add(v1, TW.Multiply(vb, TW.Load(ref c, n)));
        }

        if (TEpilogue.Active)
        {
            v0 = TW.ApplyEpilogue<TEpilogue>(v0, ref bias, ref aux);
            v1 = TW.ApplyEpilogue<TEpilogue>(v1, ref Unsafe.Add(ref bias, n), ref Unsafe.Add(ref aux, n));
        }

        TW.Store(v0, ref c, 0);
        TW.Store(v1, ref c, n);
    }
}

/// <summary>
/// 128-bit without fused multiply-add (x64 without FMA3, e.g. <c>DOTNET_EnableAVX2=0</c>): 4 rows
/// × 2 vectors. A separate multiply and add needs a temporary register, and the 6 × 2 shape then
/// needs all 16 and the JIT spilled B and the broadcast to the stack in the hot loop; 4 × 2 uses 12.
/// </summary>
internal readonly struct Kernel128Split<T> : IGemmKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Bits => 128;

    public static int MR => 4;

    public static int NR => 2 * Vector128<T>.Count;

    public static int KC => typeof(T) == typeof(float) ? 256 : 128;

    public static int MC => 128;

    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TEpilogue>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta, ref T bias, ref T aux, nint ldaux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<T> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<T> b0 = Vector128.LoadUnsafe(ref b);
            Vector128<T> b1 = Vector128.LoadUnsafe(ref b, (nuint)Vector128<T>.Count);
            Vector128<T> av = Vector128.Create(a);
            c00 += av * b0;
            c01 += av * b1;
            av = Vector128.Create(Unsafe.Add(ref a, 1));
            c10 += av * b0;
            c11 += av * b1;
            av = Vector128.Create(Unsafe.Add(ref a, 2));
            c20 += av * b0;
            c21 += av * b1;
            av = Vector128.Create(Unsafe.Add(ref a, 3));
            c30 += av * b0;
            c31 += av * b1;
            a = ref Unsafe.Add(ref a, 4);
            b = ref Unsafe.Add(ref b, 2 * Vector128<T>.Count);
        }

        Store<TEpilogue>(ref c, c00, c01, alpha, beta, ref bias, ref aux);
        Store<TEpilogue>(ref Unsafe.Add(ref c, ldc), c10, c11, alpha, beta, ref bias, ref Unsafe.Add(ref aux, ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 2 * ldaux));
        Store<TEpilogue>(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, beta, ref bias, ref Unsafe.Add(ref aux, 3 * ldaux));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref T source, ref T destination, int count) => PackCopy.Copy(ref source, ref destination, count, 128);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish<TEpilogue>(ref T row, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T> => Kernel6x2<T, Vector128<T>, Simd128<T>>.Finish<TEpilogue>(ref row, ref bias, ref aux);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(ref T c, Vector128<T> v0, Vector128<T> v1, T alpha, T beta, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        var va = Vector128.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != T.Zero)
        {
            var vb = Vector128.Create(beta);
            v0 += vb * Vector128.LoadUnsafe(ref c);
            v1 += vb * Vector128.LoadUnsafe(ref c, (nuint)Vector128<T>.Count);
        }

        if (TEpilogue.Active)
        {
            v0 = TEpilogue.Apply(v0, ref bias, ref aux);
            v1 = TEpilogue.Apply(v1, ref Unsafe.Add(ref bias, Vector128<T>.Count), ref Unsafe.Add(ref aux, Vector128<T>.Count));
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, (nuint)Vector128<T>.Count);
    }
}

/// <summary>
/// Scalar code (width 0: no SIMD, or pinned to 0): a 4 × 4 tile of plain multiply and add. Chosen
/// by shape only when forced (<see cref="GemmPacked.Pays{T}(int, int, int, bool, bool)"/> sends
/// everything to the unpacked path at width 0); it exists so the packed path has a kernel at every
/// width and the properties cover it.
/// </summary>
internal readonly struct KernelScalar<T> : IGemmKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Bits => 0;

    public static int MR => 4;

    public static int NR => 4;

    public static int KC => 256;

    public static int MC => 128;

    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TEpilogue>(int kc, ref T a, ref T b, ref T c, nint ldc, T alpha, T beta, ref T bias, ref T aux, nint ldaux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        for (int r = 0; r < 4; r++)
        {
            T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
            for (int p = 0; p < kc; p++)
            {
                T ar = Unsafe.Add(ref a, (p * 4) + r);
                ref T bp = ref Unsafe.Add(ref b, p * 4);
                s0 += ar * bp;
                s1 += ar * Unsafe.Add(ref bp, 1);
                s2 += ar * Unsafe.Add(ref bp, 2);
                s3 += ar * Unsafe.Add(ref bp, 3);
            }

            ref T row = ref Unsafe.Add(ref c, r * ldc);
            ref T auxRow = ref Unsafe.Add(ref aux, r * ldaux);
            Store<TEpilogue>(ref row, s0, alpha, beta, ref bias, ref auxRow);
            Store<TEpilogue>(ref Unsafe.Add(ref row, 1), s1, alpha, beta, ref Unsafe.Add(ref bias, 1), ref Unsafe.Add(ref auxRow, 1));
            Store<TEpilogue>(ref Unsafe.Add(ref row, 2), s2, alpha, beta, ref Unsafe.Add(ref bias, 2), ref Unsafe.Add(ref auxRow, 2));
            Store<TEpilogue>(ref Unsafe.Add(ref row, 3), s3, alpha, beta, ref Unsafe.Add(ref bias, 3), ref Unsafe.Add(ref auxRow, 3));
        }
    }

    public static void Copy(ref T source, ref T destination, int count)
    {
        for (int j = 0; j < count; j++)
        {
            Unsafe.Add(ref destination, j) = Unsafe.Add(ref source, j);
        }
    }

    public static void Finish<TEpilogue>(ref T row, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        for (int j = 0; j < 4; j++)
        {
            Unsafe.Add(ref row, j) = TEpilogue.Apply(Unsafe.Add(ref row, j), ref Unsafe.Add(ref bias, j), ref Unsafe.Add(ref aux, j));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TEpilogue>(ref T c, T sum, T alpha, T beta, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        T value = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * c);
        c = TEpilogue.Active ? TEpilogue.Apply(value, ref bias, ref aux) : value;
    }
}

/// <summary>
/// The packing's row copies: whole vectors of the widest width allowed, then one vector of each
/// narrower width that fits, then single elements. A transposed A operand packs rows of MR elements
/// (8 floats at 512 bits, half a vector): a 256-bit move instead of 8 scalar ones.
/// </summary>
internal static class PackCopy
{
    /// <summary>Copies <paramref name="count"/> elements using vectors of at most <paramref name="bits"/> bits (a constant at each call, so the JIT drops the other widths).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<T>(ref T source, ref T destination, int count, int bits)
        where T : unmanaged
    {
        int j = 0;
        if (bits >= 512)
        {
            for (; j <= count - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                Vector512.LoadUnsafe(ref source, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
            }
        }

        if (bits >= 256)
        {
            for (; j <= count - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                Vector256.LoadUnsafe(ref source, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
            }
        }

        for (; j <= count - Vector128<T>.Count; j += Vector128<T>.Count)
        {
            Vector128.LoadUnsafe(ref source, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
        }

        for (; j < count; j++)
        {
            Unsafe.Add(ref destination, j) = Unsafe.Add(ref source, j);
        }
    }
}
