using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// Transposing copy used by GEMM packing: <c>dst[c·dstStride + r] = src[r·srcStride + c]</c> for a
/// rows × columns block. Uses 4 × 4 and 2 × 4 (float) or 2 × 2 (double) register transposes where SSE is
/// available, plain copies for the remainder and elsewhere.
/// </summary>
internal static class Transpose
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<T>(ref T src, nint srcStride, int rows, int columns, ref T dst, nint dstStride)
        where T : unmanaged
    {
        int r = 0;
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            for (; r <= rows - 4; r += 4)
            {
                FloatRows(ref src, srcStride, r, 4, columns, ref dst, dstStride);
            }

            // Two rows left (e.g. the AVX2 kernel's 6-row slivers): 2 × 4 transposes, 64-bit stores.
            if (r <= rows - 2)
            {
                FloatRows(ref src, srcStride, r, 2, columns, ref dst, dstStride);
                r += 2;
            }
        }
        else if (typeof(T) == typeof(double) && Sse2.IsSupported)
        {
            for (; r <= rows - 2; r += 2)
            {
                int c = 0;
                for (; c <= columns - 2; c += 2)
                {
                    ref double s = ref Unsafe.As<T, double>(ref Unsafe.Add(ref src, (r * srcStride) + c));
                    ref double d = ref Unsafe.As<T, double>(ref Unsafe.Add(ref dst, (c * dstStride) + r));
                    Vector128<double> row0 = Vector128.LoadUnsafe(ref s);
                    Vector128<double> row1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref s, srcStride));
                    Sse2.UnpackLow(row0, row1).StoreUnsafe(ref d);
                    Sse2.UnpackHigh(row0, row1).StoreUnsafe(ref Unsafe.Add(ref d, dstStride));
                }

                Scalar(ref src, srcStride, r, r + 2, c, columns, ref dst, dstStride);
            }
        }

        Scalar(ref src, srcStride, r, rows, 0, columns, ref dst, dstStride);
    }

    /// <summary>Rows [r, r + <paramref name="height"/>) (4 or 2) of a float block: 4 × 4 or 2 × 4 register transposes, then the columns left over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FloatRows<T>(ref T src, nint srcStride, int r, int height, int columns, ref T dst, nint dstStride)
    {
        int c = 0;
        for (; c <= columns - 4; c += 4)
        {
            ref float s = ref Unsafe.As<T, float>(ref Unsafe.Add(ref src, (r * srcStride) + c));
            ref float d = ref Unsafe.As<T, float>(ref Unsafe.Add(ref dst, (c * dstStride) + r));
            if (height == 4)
            {
                Transpose4x4(ref s, srcStride, ref d, dstStride);
            }
            else
            {
                Transpose2x4(ref s, srcStride, ref d, dstStride);
            }
        }

        Scalar(ref src, srcStride, r, r + height, c, columns, ref dst, dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(ref float s, nint srcStride, ref float d, nint dstStride)
    {
        Vector128<float> r0 = Vector128.LoadUnsafe(ref s);
        Vector128<float> r1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref s, srcStride));
        Vector128<float> r2 = Vector128.LoadUnsafe(ref Unsafe.Add(ref s, 2 * srcStride));
        Vector128<float> r3 = Vector128.LoadUnsafe(ref Unsafe.Add(ref s, 3 * srcStride));
        Vector128<float> t0 = Sse.UnpackLow(r0, r1);   // a0 b0 a1 b1
        Vector128<float> t1 = Sse.UnpackLow(r2, r3);   // c0 d0 c1 d1
        Vector128<float> t2 = Sse.UnpackHigh(r0, r1);  // a2 b2 a3 b3
        Vector128<float> t3 = Sse.UnpackHigh(r2, r3);  // c2 d2 c3 d3
        Sse.MoveLowToHigh(t0, t1).StoreUnsafe(ref d);                               // a0 b0 c0 d0
        Sse.MoveHighToLow(t1, t0).StoreUnsafe(ref Unsafe.Add(ref d, dstStride));    // a1 b1 c1 d1
        Sse.MoveLowToHigh(t2, t3).StoreUnsafe(ref Unsafe.Add(ref d, 2 * dstStride)); // a2 b2 c2 d2
        Sse.MoveHighToLow(t3, t2).StoreUnsafe(ref Unsafe.Add(ref d, 3 * dstStride)); // a3 b3 c3 d3
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose2x4(ref float s, nint srcStride, ref float d, nint dstStride)
    {
        Vector128<float> r0 = Vector128.LoadUnsafe(ref s);
        Vector128<float> r1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref s, srcStride));
        Vector128<double> low = Sse.UnpackLow(r0, r1).AsDouble();   // a0 b0 | a1 b1
        Vector128<double> high = Sse.UnpackHigh(r0, r1).AsDouble(); // a2 b2 | a3 b3
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref d), low.ToScalar());
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref d, dstStride)), low.GetElement(1));
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref d, 2 * dstStride)), high.ToScalar());
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref d, 3 * dstStride)), high.GetElement(1));
    }

    private static void Scalar<T>(ref T src, nint srcStride, int rowStart, int rowEnd, int columnStart, int columnEnd, ref T dst, nint dstStride)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            ref T s = ref Unsafe.Add(ref src, r * srcStride);
            for (int c = columnStart; c < columnEnd; c++)
            {
                Unsafe.Add(ref dst, (c * dstStride) + r) = Unsafe.Add(ref s, c);
            }
        }
    }
}
