// The three width structs below differ only in the vector type; they were written from one template
// (see ISimdWidth). Keep them in step when editing.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The width the row and element-wise kernels run at, read once from <see cref="KernelSimd.VectorBits"/>.
/// Static readonly, so the JIT folds each test to a constant once the class is initialised, and each
/// kernel's choice of width is a branch taken once per call, never per element.
/// </summary>
internal static class SimdWidth
{
    /// <summary>512-bit vectors are chosen.</summary>
    public static readonly bool Use512 = KernelSimd.VectorBits >= 512;

    /// <summary>256-bit vectors or wider are chosen.</summary>
    public static readonly bool Use256 = KernelSimd.VectorBits >= 256;

    /// <summary>128-bit vectors or wider are chosen (false: scalar code only).</summary>
    public static readonly bool Use128 = KernelSimd.VectorBits >= 128;

    /// <summary>
    /// Whether fused multiply-add is an instruction (a JIT-time constant, the same test as
    /// <see cref="KernelSimd.FusedMultiplyAdd"/>); where it is not, <see cref="ISimdWidth{T, TV}.MultiplyAdd"/>
    /// multiplies and adds separately (two roundings) instead of the runtime's lane-by-lane software FMA.
    /// A non-short-circuit <c>|</c>, as in GemmMath.Fused: <c>||</c> makes the inlined multiply-add a
    /// branch, whose argument temporaries cost register moves in tight loops.
    /// </summary>
    public static bool Fused => Fma.IsSupported | AdvSimd.IsSupported;

    /// <summary>Lanes of <typeparamref name="T"/> at the chosen width (1 for scalar code).</summary>
    public static int Lanes<T>()
        where T : unmanaged => Use512 && Vector512.IsHardwareAccelerated ? Vector512<T>.Count
        : Use256 && Vector256.IsHardwareAccelerated ? Vector256<T>.Count
        : Use128 && Vector128.IsHardwareAccelerated ? Vector128<T>.Count
        : 1;
}

/// <summary>
/// The operations the row and element-wise kernels need, for one vector type: each kernel is
/// written once, generic over a width struct, and the JIT compiles one specialised copy per width
/// (all members are static and aggressively inlined, so the copies are as tight as hand-written ones).
/// The element operators themselves (<see cref="IUnaryOperator{T}"/> and friends) have one
/// <c>Invoke</c> per vector type, which the width struct's <c>Apply</c> members select.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TV">The vector type: <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector512{T}"/>.</typeparam>
internal interface ISimdWidth<T, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TV : struct
{
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    static abstract TV One { get; }

    static abstract TV Create(T value);

    static abstract TV Load(ref T source, nuint index);

    static abstract void Store(TV value, ref T destination, nuint index);

    static abstract TV Add(TV a, TV b);

    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    static abstract TV Negate(TV a);

    /// <summary><c>a · b + c</c>: fused where FMA is an instruction, else a multiply then an add.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    static abstract TV Abs(TV a);

    static abstract TV CopySign(TV value, TV sign);

    static abstract TV LessThan(TV a, TV b);

    static abstract TV Select(TV mask, TV a, TV b);

    static abstract TV MaxNative(TV a, TV b);

    static abstract TV Max(TV a, TV b);

    static abstract TV MaxNumber(TV a, TV b);

    static abstract bool EqualsAny(TV a, TV b);

    static abstract TV Exp(TV x);

    static abstract TV Log(TV x);

    static abstract T Sum(TV v);

    /// <summary>The largest lane (NaN if any lane is NaN), like folding <c>T.Max</c>.</summary>
    static abstract T HorizontalMax(TV v);

    /// <summary>The largest lane ignoring NaN, like folding <c>T.MaxNumber</c>.</summary>
    static abstract T HorizontalMaxNumber(TV v);

    /// <summary>A mask of the last <paramref name="remaining"/> lanes (0 &lt; remaining ≤ Count).</summary>
    static abstract TV TailMask(nuint remaining);

    /// <summary>A mask of lanes [0, <paramref name="count"/>).</summary>
    static abstract TV LeadingMask(int count);

    static abstract TV Apply<TOp>(in TOp op, TV x)
        where TOp : struct, IUnaryOperator<T>;

    static abstract TV Apply<TOp>(in TOp op, TV x, TV y)
        where TOp : struct, IBinaryOperator<T>;

    static abstract TV ApplyUpdate<TOp>(in TOp op, TV p, TV g)
        where TOp : struct, IUpdateOperator<T>;

    static abstract TV ApplyUpdate<TOp>(in TOp op, TV p, TV g, ref TV s)
        where TOp : struct, IUpdateOperator1<T>;

    static abstract TV ApplyUpdate<TOp>(in TOp op, TV p, TV g, ref TV s, ref TV t)
        where TOp : struct, IUpdateOperator2<T>;

    /// <summary>The GEMM epilogue <typeparamref name="TEpilogue"/> on one vector of a C row (its bias and aux at the vector's first lane).</summary>
    static abstract TV ApplyEpilogue<TEpilogue>(TV value, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T>;
}

/// <summary><see cref="ISimdWidth{T, TV}"/> at 128 bits.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd128<T> : ISimdWidth<T, Vector128<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<T>.Count;
    }

    public static Vector128<T> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<T>.Zero;
    }

    public static Vector128<T> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<T>.One;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Create(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Negate(Vector128<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (!SimdWidth.Fused)
        {
            return (a * b) + c;
        }

        if (typeof(T) == typeof(float))
        {
            return Vector128.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector128.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Abs(Vector128<T> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> CopySign(Vector128<T> value, Vector128<T> sign) => Vector128.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> a, Vector128<T> b) => Vector128.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MaxNative(Vector128<T> a, Vector128<T> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MaxNumber(Vector128<T> a, Vector128<T> b) => Vector128.MaxNumber(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Vector128<T> a, Vector128<T> b) => Vector128.EqualsAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp(Vector128<T> x) =>
        typeof(T) == typeof(float)
            ? Vector128.Exp(x.As<T, float>()).As<float, T>()
            : Vector128.Exp(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log(Vector128<T> x) =>
        typeof(T) == typeof(float)
            ? Vector128.Log(x.As<T, float>()).As<float, T>()
            : Vector128.Log(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector128<T> v) => Vector128.Sum(v);

    public static T HorizontalMax(Vector128<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector128<T>.Count; k++)
        {
            max = T.Max(max, v.GetElement(k));
        }

        return max;
    }

    public static T HorizontalMaxNumber(Vector128<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector128<T>.Count; k++)
        {
            max = T.MaxNumber(max, v.GetElement(k));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> TailMask(nuint remaining) =>
        Vector128.GreaterThanOrEqual(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(Vector128<T>.Count - (int)remaining)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LeadingMask(int count) =>
        Vector128.LessThan(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ApplyEpilogue<TEpilogue>(Vector128<T> value, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T> => TEpilogue.Apply(value, ref bias, ref aux);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Apply<TOp>(in TOp op, Vector128<T> x)
        where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Apply<TOp>(in TOp op, Vector128<T> x, Vector128<T> y)
        where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ApplyUpdate<TOp>(in TOp op, Vector128<T> p, Vector128<T> g)
        where TOp : struct, IUpdateOperator<T> => op.Invoke(p, g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ApplyUpdate<TOp>(in TOp op, Vector128<T> p, Vector128<T> g, ref Vector128<T> s)
        where TOp : struct, IUpdateOperator1<T> => op.Invoke(p, g, ref s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ApplyUpdate<TOp>(in TOp op, Vector128<T> p, Vector128<T> g, ref Vector128<T> s, ref Vector128<T> t)
        where TOp : struct, IUpdateOperator2<T> => op.Invoke(p, g, ref s, ref t);
}

/// <summary><see cref="ISimdWidth{T, TV}"/> at 256 bits.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd256<T> : ISimdWidth<T, Vector256<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<T>.Count;
    }

    public static Vector256<T> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<T>.Zero;
    }

    public static Vector256<T> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<T>.One;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Create(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Negate(Vector256<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (!SimdWidth.Fused)
        {
            return (a * b) + c;
        }

        if (typeof(T) == typeof(float))
        {
            return Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Abs(Vector256<T> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> CopySign(Vector256<T> value, Vector256<T> sign) => Vector256.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> a, Vector256<T> b) => Vector256.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MaxNative(Vector256<T> a, Vector256<T> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MaxNumber(Vector256<T> a, Vector256<T> b) => Vector256.MaxNumber(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Vector256<T> a, Vector256<T> b) => Vector256.EqualsAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp(Vector256<T> x) =>
        typeof(T) == typeof(float)
            ? Vector256.Exp(x.As<T, float>()).As<float, T>()
            : Vector256.Exp(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log(Vector256<T> x) =>
        typeof(T) == typeof(float)
            ? Vector256.Log(x.As<T, float>()).As<float, T>()
            : Vector256.Log(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> v) => Vector256.Sum(v);

    public static T HorizontalMax(Vector256<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector256<T>.Count; k++)
        {
            max = T.Max(max, v.GetElement(k));
        }

        return max;
    }

    public static T HorizontalMaxNumber(Vector256<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector256<T>.Count; k++)
        {
            max = T.MaxNumber(max, v.GetElement(k));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> TailMask(nuint remaining) =>
        Vector256.GreaterThanOrEqual(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(Vector256<T>.Count - (int)remaining)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LeadingMask(int count) =>
        Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ApplyEpilogue<TEpilogue>(Vector256<T> value, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T> => TEpilogue.Apply(value, ref bias, ref aux);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply<TOp>(in TOp op, Vector256<T> x)
        where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply<TOp>(in TOp op, Vector256<T> x, Vector256<T> y)
        where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ApplyUpdate<TOp>(in TOp op, Vector256<T> p, Vector256<T> g)
        where TOp : struct, IUpdateOperator<T> => op.Invoke(p, g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ApplyUpdate<TOp>(in TOp op, Vector256<T> p, Vector256<T> g, ref Vector256<T> s)
        where TOp : struct, IUpdateOperator1<T> => op.Invoke(p, g, ref s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ApplyUpdate<TOp>(in TOp op, Vector256<T> p, Vector256<T> g, ref Vector256<T> s, ref Vector256<T> t)
        where TOp : struct, IUpdateOperator2<T> => op.Invoke(p, g, ref s, ref t);
}

/// <summary><see cref="ISimdWidth{T, TV}"/> at 512 bits.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd512<T> : ISimdWidth<T, Vector512<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<T>.Count;
    }

    public static Vector512<T> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<T>.Zero;
    }

    public static Vector512<T> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<T>.One;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Create(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Negate(Vector512<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (!SimdWidth.Fused)
        {
            return (a * b) + c;
        }

        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Abs(Vector512<T> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> CopySign(Vector512<T> value, Vector512<T> sign) => Vector512.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> a, Vector512<T> b) => Vector512.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MaxNative(Vector512<T> a, Vector512<T> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MaxNumber(Vector512<T> a, Vector512<T> b) => Vector512.MaxNumber(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Vector512<T> a, Vector512<T> b) => Vector512.EqualsAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp(Vector512<T> x) =>
        typeof(T) == typeof(float)
            ? Vector512.Exp(x.As<T, float>()).As<float, T>()
            : Vector512.Exp(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log(Vector512<T> x) =>
        typeof(T) == typeof(float)
            ? Vector512.Log(x.As<T, float>()).As<float, T>()
            : Vector512.Log(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> v) => Vector512.Sum(v);

    public static T HorizontalMax(Vector512<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector512<T>.Count; k++)
        {
            max = T.Max(max, v.GetElement(k));
        }

        return max;
    }

    public static T HorizontalMaxNumber(Vector512<T> v)
    {
        T max = v.GetElement(0);
        for (int k = 1; k < Vector512<T>.Count; k++)
        {
            max = T.MaxNumber(max, v.GetElement(k));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> TailMask(nuint remaining) =>
        Vector512.GreaterThanOrEqual(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(Vector512<T>.Count - (int)remaining)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LeadingMask(int count) =>
        Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ApplyEpilogue<TEpilogue>(Vector512<T> value, ref T bias, ref T aux)
        where TEpilogue : struct, IGemmEpilogue<T> => TEpilogue.Apply(value, ref bias, ref aux);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply<TOp>(in TOp op, Vector512<T> x)
        where TOp : struct, IUnaryOperator<T> => op.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply<TOp>(in TOp op, Vector512<T> x, Vector512<T> y)
        where TOp : struct, IBinaryOperator<T> => op.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ApplyUpdate<TOp>(in TOp op, Vector512<T> p, Vector512<T> g)
        where TOp : struct, IUpdateOperator<T> => op.Invoke(p, g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ApplyUpdate<TOp>(in TOp op, Vector512<T> p, Vector512<T> g, ref Vector512<T> s)
        where TOp : struct, IUpdateOperator1<T> => op.Invoke(p, g, ref s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ApplyUpdate<TOp>(in TOp op, Vector512<T> p, Vector512<T> g, ref Vector512<T> s, ref Vector512<T> t)
        where TOp : struct, IUpdateOperator2<T> => op.Invoke(p, g, ref s, ref t);
}
