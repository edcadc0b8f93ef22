using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// Lane-wise sigmoid and tanh at every vector width, written once, generic over the width struct
/// (<see cref="ISimdWidth{T, TV}"/>), from the width struct's exponential (the BCL's fixed-width
/// vector function). The activation kernels' operators call these.
/// </summary>
/// <remarks>
/// Measured against <see cref="Math.Exp(double)"/> / <see cref="MathF.Exp(float)"/>: the exponential is
/// at most 2 ulp off (note that the float version returns 1.0000001 for 0); see SimdWidthProperties.
/// </remarks>
internal static class ActivationMath
{
    /// <summary>Lane-wise logistic sigmoid <c>1 / (1 + e^(−x))</c>: exactly 0 when e^(−x) overflows, exactly 1 when it underflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<T, TV, TW>(TV x)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV> =>
        TW.Divide(TW.One, TW.Add(TW.One, TW.Exp(TW.Negate(x))));

    /// <summary>
    /// Lane-wise hyperbolic tangent. For |x| below a threshold an odd Taylor polynomial (no
    /// cancellation near 0); above it <c>sign(x) · (1 − e^(−2|x|)) / (1 + e^(−2|x|))</c>, where the
    /// exponential lies in [0, 1], so the result saturates to exactly ±1 and is never NaN.
    /// </summary>
    /// <remarks>
    /// Thresholds and degrees: 0.25 and x¹¹ (float, truncation ≈ 2·10⁻¹⁰ relative), 0.125 and x¹⁵
    /// (double, ≈ 2·10⁻¹⁸). Just above the threshold 1 − e cancels a little; measured worst error
    /// 4 ulp (float) and 7 ulp (double), see SimdWidthProperties. The polynomial's multiply-adds are
    /// fused where FMA is an instruction and separate elsewhere (last-bit differences only).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<T, TV, TW>(TV x)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        TV x2 = TW.Multiply(x, x);
        TV p;
        T threshold;
        if (typeof(T) == typeof(float))
        {
            // tanh x = x + x³ · (c3 + c5 x² + ... + c11 x⁸), Taylor coefficients, for |x| < 0.25.
            p = TW.Create(T.CreateTruncating(-1382f / 155925));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(62f / 2835)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(-17f / 315)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(2f / 15)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(-1f / 3)));
            threshold = T.CreateTruncating(0.25f);
        }
        else
        {
            // As for float, to x¹⁵, for |x| < 0.125.
            p = TW.Create(T.CreateTruncating(-929569.0 / 638512875));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(21844.0 / 6081075)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(-1382.0 / 155925)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(62.0 / 2835)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(-17.0 / 315)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(2.0 / 15)));
            p = TW.MultiplyAdd(p, x2, TW.Create(T.CreateTruncating(-1.0 / 3)));
            threshold = T.CreateTruncating(0.125);
        }

        TV small = TW.MultiplyAdd(TW.Multiply(x, x2), p, x);
        TV ax = TW.Abs(x);
        TV e = TW.Exp(TW.Multiply(ax, TW.Create(T.CreateTruncating(-2))));
        TV large = TW.CopySign(TW.Divide(TW.Subtract(TW.One, e), TW.Add(TW.One, e)), x);
        return TW.Select(TW.LessThan(ax, TW.Create(threshold)), small, large);
    }
}
