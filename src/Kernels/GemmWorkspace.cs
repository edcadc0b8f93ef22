using System.Numerics;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The packing buffer of the blocked GEMM path, owned by whoever owns the work: a B panel
/// (KC × NC), an A block (MC × KC) and one edge tile (MR × NR) of the micro-kernel chosen for this
/// process, in one pinned array whose usable part starts on a 64-byte boundary, so packed vectors
/// never straddle a cache line.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>
/// Size: <see cref="SizeInBytes"/>, about 1.2 MiB for either element type at every width (the
/// blocking keeps KC·NC bytes constant). Lifetime: the array is allocated by the first product that
/// takes the packed path with this workspace (small and skinny products never pack and never
/// allocate it) and lives as long as this object; nothing else holds it.
/// </para>
/// <para>
/// Who owns one: pass it to <see cref="Gemm.Multiply{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixSpan{T}, T, T, KernelThreads, GemmWorkspace{T})"/>
/// (a trainer or an inference pool entry keeps one per concurrent caller); a
/// <see cref="KernelThreads"/> group owns one per worker and element type for the parts its
/// workers run. The overloads without a workspace use a per-thread fallback (one per thread and
/// element type, kept for the thread's life), which is what a thread-pool thread would otherwise pin.
/// </para>
/// <para>
/// One product at a time: a workspace used by two calls at once throws
/// <see cref="InvalidOperationException"/> rather than corrupting both.
/// </para>
/// </remarks>
public sealed class GemmWorkspace<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic]
    private static GemmWorkspace<T>? t_fallback;

    private T[]? _buffer;
    private int _offset;
    private int _inUse;

    /// <summary>Creates an empty workspace; its buffer is allocated by the first product that packs.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public GemmWorkspace() => KernelArguments.ElementType<T>();

    /// <summary>Bytes this workspace holds once allocated (before, what it will hold), for the kernel this process runs, its alignment slack included.</summary>
    public long SizeInBytes => (long)(GemmPacked.WorkspaceLength<T>() + Slack) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Whether a product has allocated the buffer yet.</summary>
    public bool IsAllocated => _buffer is not null;

    private static int Slack => 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Whether the calling thread has a fallback workspace yet (tests: an owner's work must not create one).</summary>
    internal static bool FallbackExistsOnThisThread => t_fallback is not null;

    /// <summary>The calling thread's fallback workspace, for the overloads that take none.</summary>
    internal static GemmWorkspace<T> ForCurrentThread() => t_fallback ??= new GemmWorkspace<T>();

    /// <summary>Claims the workspace for one product; <see cref="Release"/> ends it.</summary>
    /// <exception cref="InvalidOperationException">Another product is using it.</exception>
    internal Span<T> Acquire(int length)
    {
        if (Interlocked.Exchange(ref _inUse, 1) != 0)
        {
            throw new InvalidOperationException("This GemmWorkspace is in use by another product: give each concurrent caller its own.");
        }

        T[]? buffer = _buffer;
        if (buffer is null || buffer.Length - _offset < length)
        {
            buffer = GC.AllocateUninitializedArray<T>(length + Slack, pinned: true);
            long address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
            _offset = (int)((64 - (address & 63)) & 63) / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            _buffer = buffer;
        }

        return buffer.AsSpan(_offset, length);
    }

    /// <summary>Ends the product that <see cref="Acquire"/> started.</summary>
    internal void Release() => Volatile.Write(ref _inUse, 0);
}
