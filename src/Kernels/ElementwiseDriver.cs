using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>An element-wise function of one operand, in scalar form and at each vector width (same formula).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x);

    Vector128<T> Invoke(Vector128<T> x);

    Vector256<T> Invoke(Vector256<T> x);

    Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>An element-wise function of two operands, in scalar form and at each vector width (same formula).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x, T y);

    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);

    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);

    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}

/// <summary>An in-place update <c>p ← f(p, g)</c>.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g);

    Vector128<T> Invoke(Vector128<T> p, Vector128<T> g);

    Vector256<T> Invoke(Vector256<T> p, Vector256<T> g);

    Vector512<T> Invoke(Vector512<T> p, Vector512<T> g);
}

/// <summary>An in-place update with one state buffer: <c>(p, s) ← f(p, g, s)</c>; returns the new p.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator1<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g, ref T s);

    Vector128<T> Invoke(Vector128<T> p, Vector128<T> g, ref Vector128<T> s);

    Vector256<T> Invoke(Vector256<T> p, Vector256<T> g, ref Vector256<T> s);

    Vector512<T> Invoke(Vector512<T> p, Vector512<T> g, ref Vector512<T> s);
}

/// <summary>An in-place update with two state buffers: <c>(p, s, t) ← f(p, g, s, t)</c>; returns the new p.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator2<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g, ref T s, ref T t);

    Vector128<T> Invoke(Vector128<T> p, Vector128<T> g, ref Vector128<T> s, ref Vector128<T> t);

    Vector256<T> Invoke(Vector256<T> p, Vector256<T> g, ref Vector256<T> s, ref Vector256<T> t);

    Vector512<T> Invoke(Vector512<T> p, Vector512<T> g, ref Vector512<T> s, ref Vector512<T> t);
}

/// <summary>
/// One small generic loop per shape of operation; each operation is a struct, so every
/// (type, operation, width) triple gets its own specialised machine code with the operation inlined.
/// Callers validate lengths and overlap; these loops index without bounds checks.
/// </summary>
/// <remarks>
/// <para>Width. Each entry point picks the vector width once per call: the width
/// <see cref="KernelSimd"/> chose for the process (<see cref="SimdWidth"/>, static readonly, so the JIT
/// folds the test), or, for inputs shorter than one such vector, the next narrower width they fill
/// (as TensorPrimitives does), and scalar code below one 128-bit vector or when no width is
/// accelerated. 512-bit vectors are used from two vectors' worth up: a softmax cross-entropy over
/// 256 rows of 10 doubles (one 8-lane vector and an overlapping tail per row, two 512-bit
/// exponentials for 10 values) took 23.7 µs at 512 bits against 16.2 µs for three 256-bit vectors
/// per row (measured, one run each, shared 2-core AVX-512 machine). The choice depends only on the length and the process's width, so results are
/// deterministic; a split across threads gives every chunk at least one vector of the chosen width
/// (and chunks are whole vectors), so it computes every element exactly as one call does.</para>
/// <para>Tails. Pure maps (<c>d = f(x)</c>) finish with one vector overlapping the previous one,
/// computed from inputs loaded <em>before</em> the main loop, so exact in-place use (d is x) still
/// sees only original inputs and the overlap rewrites identical values. Reductions add the final
/// overlapping vector under a mask of the lanes not yet counted. In-place updates (<c>p ← f(p, …)</c>)
/// blend the final overlapping vector with what is already stored under the same mask, so no element
/// is updated twice. No load or store leaves [0, n).</para>
/// <para>Deliberately not AggressiveOptimization: it made the first 200 calls of a 256×1000 softmax
/// cross-entropy plus sigmoid 2× faster (680 → 310 ms), but fully-optimised code without profile data
/// does not inline the BCL's vector exponential, so steady state got 10% slower (float CE) and up to
/// 9× slower (tanh). Measured, 256-bit.</para>
/// </remarks>
internal static class ElementwiseDriver
{
    /// <summary><c>d[i] = op(x[i])</c>; d may be exactly x.</summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            Map<T, TOp, Vector512<T>, Simd512<T>>(ref xr, ref dr, n, op);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            Map<T, TOp, Vector256<T>, Simd256<T>>(ref xr, ref dr, n, op);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            Map<T, TOp, Vector128<T>, Simd128<T>>(ref xr, ref dr, n, op);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
            }
        }
    }

    /// <summary><c>d[i] = op(x[i], y[i])</c>; d may be exactly x or y.</summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            Map<T, TOp, Vector512<T>, Simd512<T>>(ref xr, ref yr, ref dr, n, op);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            Map<T, TOp, Vector256<T>, Simd256<T>>(ref xr, ref yr, ref dr, n, op);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            Map<T, TOp, Vector128<T>, Simd128<T>>(ref xr, ref yr, ref dr, n, op);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
            }
        }
    }

    /// <summary>Returns <c>Σ op(x[i])</c> (lane-wise partial sums, then across lanes).</summary>
    public static T Sum<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            return Sum<T, UnaryAsBinary<T, TOp>, Vector512<T>, Simd512<T>>(ref xr, ref xr, n, new UnaryAsBinary<T, TOp>(op));
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            return Sum<T, UnaryAsBinary<T, TOp>, Vector256<T>, Simd256<T>>(ref xr, ref xr, n, new UnaryAsBinary<T, TOp>(op));
        }

        if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            return Sum<T, UnaryAsBinary<T, TOp>, Vector128<T>, Simd128<T>>(ref xr, ref xr, n, new UnaryAsBinary<T, TOp>(op));
        }

        T sum = T.Zero;
        for (nuint i = 0; i < n; i++)
        {
            sum += op.Invoke(Unsafe.Add(ref xr, i));
        }

        return sum;
    }

    /// <summary>Returns <c>Σ op(x[i], y[i])</c>.</summary>
    public static T Sum<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            return Sum<T, TOp, Vector512<T>, Simd512<T>>(ref xr, ref yr, n, op);
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            return Sum<T, TOp, Vector256<T>, Simd256<T>>(ref xr, ref yr, n, op);
        }

        if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            return Sum<T, TOp, Vector128<T>, Simd128<T>>(ref xr, ref yr, n, op);
        }

        T sum = T.Zero;
        for (nuint i = 0; i < n; i++)
        {
            sum += op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
        }

        return sum;
    }

    /// <summary><c>d[i] = op(x[i])</c> and returns <c>Σ d[i]</c>; d may be exactly x.</summary>
    public static T MapSum<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            return MapSum<T, TOp, Vector512<T>, Simd512<T>>(ref xr, ref dr, n, op);
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            return MapSum<T, TOp, Vector256<T>, Simd256<T>>(ref xr, ref dr, n, op);
        }

        if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            return MapSum<T, TOp, Vector128<T>, Simd128<T>>(ref xr, ref dr, n, op);
        }

        T sum = T.Zero;
        for (nuint i = 0; i < n; i++)
        {
            T v = op.Invoke(Unsafe.Add(ref xr, i));
            Unsafe.Add(ref dr, i) = v;
            sum += v;
        }

        return sum;
    }

    /// <summary><c>p[i] ← op(p[i], g[i])</c>; g may be exactly p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        nuint n = (nuint)p.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            Update<T, TOp, Vector512<T>, Simd512<T>>(ref pr, ref gr, n, op);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            Update<T, TOp, Vector256<T>, Simd256<T>>(ref pr, ref gr, n, op);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            Update<T, TOp, Vector128<T>, Simd128<T>>(ref pr, ref gr, n, op);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i));
            }
        }
    }

    /// <summary><c>(p[i], s[i]) ← op(p[i], g[i], s[i])</c>; the three spans must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, Span<T> s, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator1<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T sr = ref MemoryMarshal.GetReference(s);
        nuint n = (nuint)p.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            Update<T, TOp, Vector512<T>, Simd512<T>>(ref pr, ref gr, ref sr, n, op);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            Update<T, TOp, Vector256<T>, Simd256<T>>(ref pr, ref gr, ref sr, n, op);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            Update<T, TOp, Vector128<T>, Simd128<T>>(ref pr, ref gr, ref sr, n, op);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i), ref Unsafe.Add(ref sr, i));
            }
        }
    }

    /// <summary><c>(p[i], s[i], t[i]) ← op(p[i], g[i], s[i], t[i])</c>; the four spans must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, Span<T> s, Span<T> t, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator2<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T sr = ref MemoryMarshal.GetReference(s);
        ref T tr = ref MemoryMarshal.GetReference(t);
        nuint n = (nuint)p.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= 2 * (nuint)Vector512<T>.Count)
        {
            Update<T, TOp, Vector512<T>, Simd512<T>>(ref pr, ref gr, ref sr, ref tr, n, op);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            Update<T, TOp, Vector256<T>, Simd256<T>>(ref pr, ref gr, ref sr, ref tr, n, op);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            Update<T, TOp, Vector128<T>, Simd128<T>>(ref pr, ref gr, ref sr, ref tr, n, op);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i), ref Unsafe.Add(ref sr, i), ref Unsafe.Add(ref tr, i));
            }
        }
    }

    /// <summary>
    /// Applies <paramref name="op"/> to a matrix: over the whole buffer when both views are dense
    /// (or have a single row), row by row otherwise, so padding between rows is never touched.
    /// </summary>
    public static void Map<T, TOp>(ReadOnlyMatrixSpan<T> x, MatrixSpan<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        if (x.IsEmpty)
        {
            return;
        }

        if (IsDense(x) && IsDense<T>(d))
        {
            int count = x.Rows * x.Columns;
            Map(x.Span[..count], d.Span[..count], op);
            return;
        }

        for (int i = 0; i < x.Rows; i++)
        {
            Map(x.Row(i), d.Row(i), op);
        }
    }

    /// <summary>Binary <see cref="Map{T, TOp}(ReadOnlyMatrixSpan{T}, MatrixSpan{T}, TOp)"/>.</summary>
    public static void Map<T, TOp>(ReadOnlyMatrixSpan<T> x, ReadOnlyMatrixSpan<T> y, MatrixSpan<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        if (x.IsEmpty)
        {
            return;
        }

        if (IsDense(x) && IsDense(y) && IsDense<T>(d))
        {
            int count = x.Rows * x.Columns;
            Map(x.Span[..count], y.Span[..count], d.Span[..count], op);
            return;
        }

        for (int i = 0; i < x.Rows; i++)
        {
            Map(x.Row(i), y.Row(i), d.Row(i), op);
        }
    }

    // ---- The loops, once per width (n ≥ one vector) -----------------------------------------

    private static void Map<T, TOp, TV, TW>(ref T xr, ref T dr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint last = n - width;
        TV tail = TW.Apply(op, TW.Load(ref xr, last));
        for (nuint i = 0; i < last; i += width)
        {
            TW.Store(TW.Apply(op, TW.Load(ref xr, i)), ref dr, i);
        }

        TW.Store(tail, ref dr, last);
    }

    private static void Map<T, TOp, TV, TW>(ref T xr, ref T yr, ref T dr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint last = n - width;
        TV tail = TW.Apply(op, TW.Load(ref xr, last), TW.Load(ref yr, last));
        for (nuint i = 0; i < last; i += width)
        {
            TW.Store(TW.Apply(op, TW.Load(ref xr, i), TW.Load(ref yr, i)), ref dr, i);
        }

        TW.Store(tail, ref dr, last);
    }

    private static T Sum<T, TOp, TV, TW>(ref T xr, ref T yr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        TV acc0 = TW.Zero;
        TV acc1 = TW.Zero;
        nuint j = 0;
        for (; j + (2 * width) <= n; j += 2 * width)
        {
            acc0 = TW.Add(acc0, TW.Apply(op, TW.Load(ref xr, j), TW.Load(ref yr, j)));
            acc1 = TW.Add(acc1, TW.Apply(op, TW.Load(ref xr, j + width), TW.Load(ref yr, j + width)));
        }

        if (j + width <= n)
        {
            acc0 = TW.Add(acc0, TW.Apply(op, TW.Load(ref xr, j), TW.Load(ref yr, j)));
            j += width;
        }

        if (j < n)
        {
            TV tail = TW.Apply(op, TW.Load(ref xr, n - width), TW.Load(ref yr, n - width));
            acc1 = TW.Add(acc1, TW.Select(TW.TailMask(n - j), tail, TW.Zero));
        }

        return TW.Sum(TW.Add(acc0, acc1));
    }

    private static T MapSum<T, TOp, TV, TW>(ref T xr, ref T dr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint last = n - width;
        nuint full = n - (n % width);

        // Loaded before anything is stored, for exact in-place use.
        TV tail = full == n ? TW.Zero : TW.Apply(op, TW.Load(ref xr, last));
        TV acc0 = TW.Zero;
        TV acc1 = TW.Zero;
        nuint j = 0;
        for (; j + (2 * width) <= full; j += 2 * width)
        {
            TV v0 = TW.Apply(op, TW.Load(ref xr, j));
            TV v1 = TW.Apply(op, TW.Load(ref xr, j + width));
            TW.Store(v0, ref dr, j);
            TW.Store(v1, ref dr, j + width);
            acc0 = TW.Add(acc0, v0);
            acc1 = TW.Add(acc1, v1);
        }

        if (j < full)
        {
            TV v = TW.Apply(op, TW.Load(ref xr, j));
            TW.Store(v, ref dr, j);
            acc0 = TW.Add(acc0, v);
        }

        if (full != n)
        {
            TW.Store(tail, ref dr, last);
            acc1 = TW.Add(acc1, TW.Select(TW.TailMask(n - full), tail, TW.Zero));
        }

        return TW.Sum(TW.Add(acc0, acc1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Update<T, TOp, TV, TW>(ref T pr, ref T gr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            TW.Store(TW.ApplyUpdate(op, TW.Load(ref pr, j), TW.Load(ref gr, j)), ref pr, j);
        }

        if (j < n)
        {
            // Lanes before j already hold their new values: keep them.
            nuint last = n - width;
            TV mask = TW.TailMask(n - j);
            TV pv = TW.Load(ref pr, last);
            TW.Store(TW.Select(mask, TW.ApplyUpdate(op, pv, TW.Load(ref gr, last)), pv), ref pr, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Update<T, TOp, TV, TW>(ref T pr, ref T gr, ref T sr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator1<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            TV sv = TW.Load(ref sr, j);
            TW.Store(TW.ApplyUpdate(op, TW.Load(ref pr, j), TW.Load(ref gr, j), ref sv), ref pr, j);
            TW.Store(sv, ref sr, j);
        }

        if (j < n)
        {
            nuint last = n - width;
            TV mask = TW.TailMask(n - j);
            TV pv = TW.Load(ref pr, last);
            TV sv = TW.Load(ref sr, last);
            TV sNew = sv;
            TV pNew = TW.ApplyUpdate(op, pv, TW.Load(ref gr, last), ref sNew);
            TW.Store(TW.Select(mask, pNew, pv), ref pr, last);
            TW.Store(TW.Select(mask, sNew, sv), ref sr, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Update<T, TOp, TV, TW>(ref T pr, ref T gr, ref T sr, ref T tr, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator2<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;
        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            TV sv = TW.Load(ref sr, j);
            TV tv = TW.Load(ref tr, j);
            TW.Store(TW.ApplyUpdate(op, TW.Load(ref pr, j), TW.Load(ref gr, j), ref sv, ref tv), ref pr, j);
            TW.Store(sv, ref sr, j);
            TW.Store(tv, ref tr, j);
        }

        if (j < n)
        {
            nuint last = n - width;
            TV mask = TW.TailMask(n - j);
            TV pv = TW.Load(ref pr, last);
            TV sv = TW.Load(ref sr, last);
            TV tv = TW.Load(ref tr, last);
            TV sNew = sv;
            TV tNew = tv;
            TV pNew = TW.ApplyUpdate(op, pv, TW.Load(ref gr, last), ref sNew, ref tNew);
            TW.Store(TW.Select(mask, pNew, pv), ref pr, last);
            TW.Store(TW.Select(mask, sNew, sv), ref sr, last);
            TW.Store(TW.Select(mask, tNew, tv), ref tr, last);
        }
    }

    private static bool IsDense<T>(ReadOnlyMatrixSpan<T> m) => m.Stride == m.Columns || m.Rows == 1;

    /// <summary>A unary operator seen as a binary one that ignores its second operand (one reduction loop serves both).</summary>
    private readonly struct UnaryAsBinary<T, TOp>(TOp op) : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        private readonly TOp _op = op;

        public T Invoke(T x, T y) => _op.Invoke(x);

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => _op.Invoke(x);

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => _op.Invoke(x);

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => _op.Invoke(x);
    }
}
