using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// Fused multiply-add on <see cref="Vector{T}"/> for generic T (the BCL's is float/double-only), used by
/// the unpacked GEMM path: the branch on
/// <c>typeof(T)</c> is resolved by the JIT, so each instantiation compiles to one instruction.
/// </summary>
internal static class VectorFma
{
    /// <summary><c>a · b + c</c> with a single rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> FusedMultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        if (typeof(T) == typeof(double))
        {
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }

        throw new NotSupportedException();
    }

    /// <summary><c>a · b + c</c> with a single rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FusedMultiplyAdd<T>(T a, T b, T c)
        where T : IFloatingPointIeee754<T> => T.FusedMultiplyAdd(a, b, c);
}
