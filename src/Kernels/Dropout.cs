using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// Inverted dropout with a mask that is never stored: whether element <c>i</c> of a pass is kept is
/// a hash of (<c>key</c>, <c>i</c>), so the forward pass and the backward pass recompute the same
/// mask, nothing is allocated, and the result does not depend on how the work is split or on the
/// SIMD width. Kept elements are scaled by <c>1 / (1 − rate)</c>, dropped ones become 0, so the
/// expected value of every element is unchanged.
/// </summary>
/// <remarks>
/// The hash (a documented contract, the same on every machine): <c>x = (uint)i · 0x9E3779B9 + (uint)key;
/// x ^= (uint)(key ≫ 32)</c>, then the lowbias32 finaliser (<c>x ^= x ≫ 16; x ·= 0x7FEB352D; x ^= x ≫ 15;
/// x ·= 0x846CA68B; x ^= x ≫ 16</c>); the element is kept when <c>x ≥ </c><see cref="Threshold"/>(rate).
/// Indices are taken modulo 2³².
/// </remarks>
public static class Dropout
{
    /// <summary>The 32-bit threshold below which a hash drops its element: <c>round(rate · 2³²)</c>, clamped to 2³² − 1.</summary>
    /// <param name="rate">The drop probability in [0, 1).</param>
    /// <returns>The threshold.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) or NaN.</exception>
    public static uint Threshold(double rate)
    {
        CheckRate(rate);
        return (uint)Math.Min(Math.Round(rate * 4294967296.0), uint.MaxValue);
    }

    /// <summary>Whether element <paramref name="index"/> of the pass keyed by <paramref name="key"/> is kept at drop rate <paramref name="rate"/>.</summary>
    /// <param name="key">The pass's key (e.g. a hash of seed, step and layer).</param>
    /// <param name="index">The element's index in the pass.</param>
    /// <param name="rate">The drop probability in [0, 1).</param>
    /// <returns>True when the element is kept.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) or NaN.</exception>
    public static bool IsKept(ulong key, long index, double rate) => Hash(key, (uint)index) >= Threshold(rate);

    /// <summary>
    /// Forward: <c>values[i] = kept(key, firstIndex + i) ? values[i] / (1 − rate) : 0</c>, in place.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="values">The activations, updated in place.</param>
    /// <param name="key">The pass's key.</param>
    /// <param name="firstIndex">The index of <c>values[0]</c> in the pass (rows of a matrix: row · columns).</param>
    /// <param name="rate">The drop probability in [0, 1); 0 leaves the values unchanged.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) or NaN.</exception>
    public static void Forward<T>(Span<T> values, ulong key, long firstIndex, double rate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        uint threshold = Threshold(rate);
        if (threshold == 0)
        {
            return;
        }

        T scale = T.One / (T.One - T.CreateTruncating(rate));
        Apply(values, default, key, (uint)firstIndex, threshold, scale, T.Zero);
    }

    /// <summary>
    /// Backward, before the activation's backward: <c>delta[i] = kept ? delta[i] / (1 − rate) : 0</c>,
    /// and the kept activations brought back to the activation's own output, <c>activations[i] · (1 − rate)</c>
    /// (dropped ones are 0 already), so a derivative written in terms of the output (sigmoid, tanh) sees
    /// the undropped value. Call it after the product that reads the dropped activations (<c>dW = Aᵀ·dZ</c>).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="delta">dA of the dropped activations, updated in place.</param>
    /// <param name="activations">The dropped activations of the same pass, same length, updated in place (may be empty: then only the delta is masked).</param>
    /// <param name="key">The key the forward pass used.</param>
    /// <param name="firstIndex">The index of <c>delta[0]</c> in the pass.</param>
    /// <param name="rate">The rate the forward pass used.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="activations"/> is neither empty nor as long as <paramref name="delta"/>, or they overlap.</exception>
    public static void Backward<T>(Span<T> delta, Span<T> activations, ulong key, long firstIndex, double rate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        if (!activations.IsEmpty)
        {
            KernelArguments.Length(activations.Length, delta.Length, nameof(activations));
            KernelArguments.NoOverlap((ReadOnlySpan<T>)activations, delta, nameof(activations));
        }

        uint threshold = Threshold(rate);
        if (threshold == 0)
        {
            return;
        }

        T keep = T.One - T.CreateTruncating(rate);
        Apply(delta, activations, key, (uint)firstIndex, threshold, T.One / keep, keep);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Hash(ulong key, uint index)
    {
        uint x = (index * 0x9E3779B9u) + (uint)key;
        x ^= (uint)(key >> 32);
        x ^= x >> 16;
        x *= 0x7FEB352Du;
        x ^= x >> 15;
        x *= 0x846CA68Bu;
        x ^= x >> 16;
        return x;
    }

    private static void CheckRate(double rate)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "Expected a dropout rate in [0, 1).");
        }
    }

    // values[i] = kept ? values[i] · scale : 0; second[i] = kept ? second[i] · secondScale : second[i] (second may be empty).
    private static void Apply<T>(Span<T> values, Span<T> second, ulong key, uint first, uint threshold, T scale, T secondScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = values.Length;
        bool hasSecond = !second.IsEmpty;
        ref T v = ref MemoryMarshal.GetReference(values);
        ref T s = ref MemoryMarshal.GetReference(second);
        int i = 0;
        if (typeof(T) == typeof(float) && SimdWidth.Use256 && Vector256.IsHardwareAccelerated)
        {
            Vector256<uint> lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            Vector256<uint> vThreshold = Vector256.Create(threshold);
            Vector256<float> vScale = Vector256.Create(float.CreateTruncating(scale));
            Vector256<float> vSecond = Vector256.Create(float.CreateTruncating(secondScale));
            ref float vf = ref Unsafe.As<T, float>(ref v);
            ref float sf = ref Unsafe.As<T, float>(ref s);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> kept = Vector256.GreaterThanOrEqual(Hash(key, Vector256.Create(first + (uint)i) + lanes), vThreshold).AsSingle();
                Vector256<float> x = Vector256.LoadUnsafe(ref vf, (nuint)i);
                Vector256.ConditionalSelect(kept, x * vScale, Vector256<float>.Zero).StoreUnsafe(ref vf, (nuint)i);
                if (hasSecond)
                {
                    Vector256<float> y = Vector256.LoadUnsafe(ref sf, (nuint)i);
                    Vector256.ConditionalSelect(kept, y * vSecond, y).StoreUnsafe(ref sf, (nuint)i);
                }
            }
        }
        else if (typeof(T) == typeof(float) && SimdWidth.Use128 && Vector128.IsHardwareAccelerated)
        {
            Vector128<uint> lanes = Vector128.Create(0u, 1, 2, 3);
            Vector128<uint> vThreshold = Vector128.Create(threshold);
            Vector128<float> vScale = Vector128.Create(float.CreateTruncating(scale));
            Vector128<float> vSecond = Vector128.Create(float.CreateTruncating(secondScale));
            ref float vf = ref Unsafe.As<T, float>(ref v);
            ref float sf = ref Unsafe.As<T, float>(ref s);
            for (; i <= n - 4; i += 4)
            {
                Vector128<float> kept = Vector128.GreaterThanOrEqual(Hash(key, Vector128.Create(first + (uint)i) + lanes), vThreshold).AsSingle();
                Vector128<float> x = Vector128.LoadUnsafe(ref vf, (nuint)i);
                Vector128.ConditionalSelect(kept, x * vScale, Vector128<float>.Zero).StoreUnsafe(ref vf, (nuint)i);
                if (hasSecond)
                {
                    Vector128<float> y = Vector128.LoadUnsafe(ref sf, (nuint)i);
                    Vector128.ConditionalSelect(kept, y * vSecond, y).StoreUnsafe(ref sf, (nuint)i);
                }
            }
        }

        for (; i < n; i++)
        {
            if (Hash(key, first + (uint)i) >= threshold)
            {
                Unsafe.Add(ref v, i) *= scale;
                if (hasSecond)
                {
                    Unsafe.Add(ref s, i) *= secondScale;
                }
            }
            else
            {
                Unsafe.Add(ref v, i) = T.Zero;
            }
        }
    }

    private static Vector256<uint> Hash(ulong key, Vector256<uint> index)
    {
        Vector256<uint> x = (index * 0x9E3779B9u) + Vector256.Create((uint)key);
        x ^= Vector256.Create((uint)(key >> 32));
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= 0x7FEB352Du;
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= 0x846CA68Bu;
        x ^= Vector256.ShiftRightLogical(x, 16);
        return x;
    }

    private static Vector128<uint> Hash(ulong key, Vector128<uint> index)
    {
        Vector128<uint> x = (index * 0x9E3779B9u) + Vector128.Create((uint)key);
        x ^= Vector128.Create((uint)(key >> 32));
        x ^= Vector128.ShiftRightLogical(x, 16);
        x *= 0x7FEB352Du;
        x ^= Vector128.ShiftRightLogical(x, 15);
        x *= 0x846CA68Bu;
        x ^= Vector128.ShiftRightLogical(x, 16);
        return x;
    }
}
