using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The per-thread packing buffer of the blocked GEMM: one pinned array per thread and element type,
/// allocated on the thread's first packed call and reused after, its usable part starting on a
/// 64-byte boundary so packed vectors never straddle a cache line. Thread-static, so never shared.
/// </summary>
internal static class GemmWorkspace<T>
    where T : unmanaged
{
    [ThreadStatic]
    private static T[]? t_buffer;

    [ThreadStatic]
    private static int t_offset;

    public static Span<T> ForCurrentThread(int length)
    {
        T[]? buffer = t_buffer;
        if (buffer is null || buffer.Length - t_offset < length)
        {
            buffer = Allocate(length, out t_offset);
            t_buffer = buffer;
        }

        return buffer.AsSpan(t_offset, length);
    }

    private static T[] Allocate(int length, out int offset)
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        T[] buffer = GC.AllocateUninitializedArray<T>(length + (64 / size), pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        offset = (int)((64 - (address & 63)) & 63) / size;
        return buffer;
    }
}
