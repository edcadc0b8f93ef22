using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>An element-wise function of one operand, in scalar and vector form (same formula).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x);

    Vector<T> Invoke(Vector<T> x);
}

/// <summary>An element-wise function of two operands, in scalar and vector form (same formula).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x, T y);

    Vector<T> Invoke(Vector<T> x, Vector<T> y);
}

/// <summary>An in-place update <c>p ← f(p, g)</c>.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g);

    Vector<T> Invoke(Vector<T> p, Vector<T> g);
}

/// <summary>An in-place update with one state buffer: <c>(p, s) ← f(p, g, s)</c>; returns the new p.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator1<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g, ref T s);

    Vector<T> Invoke(Vector<T> p, Vector<T> g, ref Vector<T> s);
}

/// <summary>An in-place update with two state buffers: <c>(p, s, t) ← f(p, g, s, t)</c>; returns the new p.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IUpdateOperator2<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T p, T g, ref T s, ref T t);

    Vector<T> Invoke(Vector<T> p, Vector<T> g, ref Vector<T> s, ref Vector<T> t);
}

/// <summary>
/// One small generic loop per shape of operation; each operation is a struct, so every
/// (type, operation) pair gets its own specialised machine code with the operation inlined.
/// Callers validate lengths and overlap; these loops index without bounds checks.
/// </summary>
/// <remarks>
/// <para>Tails. Pure maps (<c>d = f(x)</c>) finish with one vector overlapping the previous one,
/// computed from inputs loaded <em>before</em> the main loop, so exact in-place use (d is x) still
/// sees only original inputs and the overlap rewrites identical values. Reductions add the final
/// overlapping vector under a mask of the lanes not yet counted. In-place updates (<c>p ← f(p, …)</c>)
/// blend the final overlapping vector with what is already stored under the same mask, so no element
/// is updated twice.</para>
/// <para>Inputs shorter than one vector, and every input when <see cref="Vector.IsHardwareAccelerated"/>
/// is false (software-emulated vectors are far slower than scalar code), take the scalar form.</para>
/// <para>Deliberately not AggressiveOptimization: it made the first 200 calls of a 256×1000 softmax
/// cross-entropy plus sigmoid 2× faster (680 → 310 ms), but fully-optimised code without profile data
/// does not inline the BCL's vector exponential, so steady state got 10% slower (float CE) and up to
/// 9× slower (tanh, before VectorMath.Tanh was marked AggressiveInlining). Measured, 256-bit.</para>
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
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
            }

            return;
        }

        nuint last = n - width;
        Vector<T> tail = op.Invoke(Vector.LoadUnsafe(ref xr, last));
        for (nuint i = 0; i < last; i += width)
        {
            op.Invoke(Vector.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }

        tail.StoreUnsafe(ref dr, last);
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
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
            }

            return;
        }

        nuint last = n - width;
        Vector<T> tail = op.Invoke(Vector.LoadUnsafe(ref xr, last), Vector.LoadUnsafe(ref yr, last));
        for (nuint i = 0; i < last; i += width)
        {
            op.Invoke(Vector.LoadUnsafe(ref xr, i), Vector.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }

        tail.StoreUnsafe(ref dr, last);
    }

    /// <summary>Returns <c>Σ op(x[i])</c> (lane-wise partial sums, then across lanes).</summary>
    public static T Sum<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            T sum = T.Zero;
            for (nuint i = 0; i < n; i++)
            {
                sum += op.Invoke(Unsafe.Add(ref xr, i));
            }

            return sum;
        }

        Vector<T> acc0 = Vector<T>.Zero;
        Vector<T> acc1 = Vector<T>.Zero;
        nuint j = 0;
        for (; j + (2 * width) <= n; j += 2 * width)
        {
            acc0 += op.Invoke(Vector.LoadUnsafe(ref xr, j));
            acc1 += op.Invoke(Vector.LoadUnsafe(ref xr, j + width));
        }

        if (j + width <= n)
        {
            acc0 += op.Invoke(Vector.LoadUnsafe(ref xr, j));
            j += width;
        }

        if (j < n)
        {
            Vector<T> tail = op.Invoke(Vector.LoadUnsafe(ref xr, n - width));
            acc1 += Vector.ConditionalSelect(VectorMath.TailMask<T>(n - j), tail, Vector<T>.Zero);
        }

        return Vector.Sum(acc0 + acc1);
    }

    /// <summary>Returns <c>Σ op(x[i], y[i])</c>.</summary>
    public static T Sum<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            T sum = T.Zero;
            for (nuint i = 0; i < n; i++)
            {
                sum += op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
            }

            return sum;
        }

        Vector<T> acc0 = Vector<T>.Zero;
        Vector<T> acc1 = Vector<T>.Zero;
        nuint j = 0;
        for (; j + (2 * width) <= n; j += 2 * width)
        {
            acc0 += op.Invoke(Vector.LoadUnsafe(ref xr, j), Vector.LoadUnsafe(ref yr, j));
            acc1 += op.Invoke(Vector.LoadUnsafe(ref xr, j + width), Vector.LoadUnsafe(ref yr, j + width));
        }

        if (j + width <= n)
        {
            acc0 += op.Invoke(Vector.LoadUnsafe(ref xr, j), Vector.LoadUnsafe(ref yr, j));
            j += width;
        }

        if (j < n)
        {
            Vector<T> tail = op.Invoke(Vector.LoadUnsafe(ref xr, n - width), Vector.LoadUnsafe(ref yr, n - width));
            acc1 += Vector.ConditionalSelect(VectorMath.TailMask<T>(n - j), tail, Vector<T>.Zero);
        }

        return Vector.Sum(acc0 + acc1);
    }

    /// <summary><c>d[i] = op(x[i])</c> and returns <c>Σ d[i]</c>; d may be exactly x.</summary>
    public static T MapSum<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            T sum = T.Zero;
            for (nuint i = 0; i < n; i++)
            {
                T v = op.Invoke(Unsafe.Add(ref xr, i));
                Unsafe.Add(ref dr, i) = v;
                sum += v;
            }

            return sum;
        }

        nuint last = n - width;
        nuint full = n - (n % width);

        // Loaded before anything is stored, for exact in-place use.
        Vector<T> tail = full == n ? default : op.Invoke(Vector.LoadUnsafe(ref xr, last));
        Vector<T> acc0 = Vector<T>.Zero;
        Vector<T> acc1 = Vector<T>.Zero;
        nuint j = 0;
        for (; j + (2 * width) <= full; j += 2 * width)
        {
            Vector<T> v0 = op.Invoke(Vector.LoadUnsafe(ref xr, j));
            Vector<T> v1 = op.Invoke(Vector.LoadUnsafe(ref xr, j + width));
            v0.StoreUnsafe(ref dr, j);
            v1.StoreUnsafe(ref dr, j + width);
            acc0 += v0;
            acc1 += v1;
        }

        if (j < full)
        {
            Vector<T> v = op.Invoke(Vector.LoadUnsafe(ref xr, j));
            v.StoreUnsafe(ref dr, j);
            acc0 += v;
        }

        if (full != n)
        {
            tail.StoreUnsafe(ref dr, last);
            acc1 += Vector.ConditionalSelect(VectorMath.TailMask<T>(n - full), tail, Vector<T>.Zero);
        }

        return Vector.Sum(acc0 + acc1);
    }

    /// <summary><c>p[i] ← op(p[i], g[i])</c>; g may be exactly p.</summary>
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        nuint n = (nuint)p.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i));
            }

            return;
        }

        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            op.Invoke(Vector.LoadUnsafe(ref pr, j), Vector.LoadUnsafe(ref gr, j)).StoreUnsafe(ref pr, j);
        }

        if (j < n)
        {
            // Lanes before j already hold their new values: keep them.
            nuint last = n - width;
            Vector<T> mask = VectorMath.TailMask<T>(n - j);
            Vector<T> pv = Vector.LoadUnsafe(ref pr, last);
            Vector.ConditionalSelect(mask, op.Invoke(pv, Vector.LoadUnsafe(ref gr, last)), pv).StoreUnsafe(ref pr, last);
        }
    }

    /// <summary><c>(p[i], s[i]) ← op(p[i], g[i], s[i])</c>; the three spans must not overlap.</summary>
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, Span<T> s, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator1<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T sr = ref MemoryMarshal.GetReference(s);
        nuint n = (nuint)p.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i), ref Unsafe.Add(ref sr, i));
            }

            return;
        }

        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            Vector<T> sv = Vector.LoadUnsafe(ref sr, j);
            op.Invoke(Vector.LoadUnsafe(ref pr, j), Vector.LoadUnsafe(ref gr, j), ref sv).StoreUnsafe(ref pr, j);
            sv.StoreUnsafe(ref sr, j);
        }

        if (j < n)
        {
            nuint last = n - width;
            Vector<T> mask = VectorMath.TailMask<T>(n - j);
            Vector<T> pv = Vector.LoadUnsafe(ref pr, last);
            Vector<T> sv = Vector.LoadUnsafe(ref sr, last);
            Vector<T> sNew = sv;
            Vector<T> pNew = op.Invoke(pv, Vector.LoadUnsafe(ref gr, last), ref sNew);
            Vector.ConditionalSelect(mask, pNew, pv).StoreUnsafe(ref pr, last);
            Vector.ConditionalSelect(mask, sNew, sv).StoreUnsafe(ref sr, last);
        }
    }

    /// <summary><c>(p[i], s[i], t[i]) ← op(p[i], g[i], s[i], t[i])</c>; the four spans must not overlap.</summary>
    public static void Update<T, TOp>(Span<T> p, ReadOnlySpan<T> g, Span<T> s, Span<T> t, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUpdateOperator2<T>
    {
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T sr = ref MemoryMarshal.GetReference(s);
        ref T tr = ref MemoryMarshal.GetReference(t);
        nuint n = (nuint)p.Length;
        nuint width = (nuint)Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || n < width)
        {
            for (nuint i = 0; i < n; i++)
            {
                ref T pi = ref Unsafe.Add(ref pr, i);
                pi = op.Invoke(pi, Unsafe.Add(ref gr, i), ref Unsafe.Add(ref sr, i), ref Unsafe.Add(ref tr, i));
            }

            return;
        }

        nuint j = 0;
        for (; j + width <= n; j += width)
        {
            Vector<T> sv = Vector.LoadUnsafe(ref sr, j);
            Vector<T> tv = Vector.LoadUnsafe(ref tr, j);
            op.Invoke(Vector.LoadUnsafe(ref pr, j), Vector.LoadUnsafe(ref gr, j), ref sv, ref tv).StoreUnsafe(ref pr, j);
            sv.StoreUnsafe(ref sr, j);
            tv.StoreUnsafe(ref tr, j);
        }

        if (j < n)
        {
            nuint last = n - width;
            Vector<T> mask = VectorMath.TailMask<T>(n - j);
            Vector<T> pv = Vector.LoadUnsafe(ref pr, last);
            Vector<T> sv = Vector.LoadUnsafe(ref sr, last);
            Vector<T> tv = Vector.LoadUnsafe(ref tr, last);
            Vector<T> sNew = sv;
            Vector<T> tNew = tv;
            Vector<T> pNew = op.Invoke(pv, Vector.LoadUnsafe(ref gr, last), ref sNew, ref tNew);
            Vector.ConditionalSelect(mask, pNew, pv).StoreUnsafe(ref pr, last);
            Vector.ConditionalSelect(mask, sNew, sv).StoreUnsafe(ref sr, last);
            Vector.ConditionalSelect(mask, tNew, tv).StoreUnsafe(ref tr, last);
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

    private static bool IsDense<T>(ReadOnlyMatrixSpan<T> m) => m.Stride == m.Columns || m.Rows == 1;
}
