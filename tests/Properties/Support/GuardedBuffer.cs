using System.Globalization;
using System.Runtime.InteropServices;

namespace Backprop.Properties.Support;

/// <summary>Which end of a <see cref="GuardedBuffer{T}"/> touches the inaccessible page.</summary>
public enum GuardSide
{
    /// <summary>The page right after the last element is inaccessible: any read or write past the end faults.</summary>
    After,

    /// <summary>The page right before the first element is inaccessible: any read or write before the start faults.</summary>
    Before,
}

/// <summary>
/// Native memory for one buffer of <typeparamref name="T"/>, placed flush against a page that can
/// be neither read nor written (mmap + mprotect from libc), so a kernel that touches one element
/// outside the buffer on that side crashes the process instead of reading a neighbour's bytes.
/// Linux only (<see cref="GuardedBuffer.SkipReason"/>); dispose to unmap.
/// </summary>
/// <remarks>
/// Usage: <c>using var b = new GuardedBuffer&lt;float&gt;(n, GuardSide.After); src.CopyTo(b.Span);
/// Kernel(b.Span, …);</c> — run each case once with <see cref="GuardSide.After"/> and once with
/// <see cref="GuardSide.Before"/>. Elements are aligned to their size only (the buffer's start or end
/// is page-aligned), so unaligned vector loads are exercised too.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class GuardedBuffer<T> : IDisposable
    where T : unmanaged
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20; // Linux x64 and Arm64

    private readonly nint _mapping;
    private readonly nuint _mappingLength;
    private readonly T* _data;
    private readonly nint _guard;

    /// <summary>Maps <paramref name="length"/> elements with an inaccessible page on <paramref name="side"/>.</summary>
    /// <param name="length">Elements, ≥ 0 (0 gives an empty span whose position is still against the guard).</param>
    /// <param name="side">Which end touches the guard page.</param>
    public GuardedBuffer(int length, GuardSide side)
    {
        if (GuardedBuffer.SkipReason is { } reason)
        {
            throw new PlatformNotSupportedException(reason);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint page = (nuint)Environment.SystemPageSize;
        nuint bytes = (nuint)length * (nuint)sizeof(T);
        nuint dataPages = (bytes + page - 1) / page;
        _mappingLength = (dataPages + 2) * page; // a guard page on each side; the one not used stays readable
        _mapping = LibC.mmap(0, _mappingLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_mapping == -1)
        {
            throw new InvalidOperationException($"mmap of {_mappingLength} bytes failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        Side = side;
        Length = length;
        nint first = _mapping + (nint)page;
        nint end = first + (nint)(dataPages * page);
        if (side == GuardSide.After)
        {
            _guard = end;
            _data = (T*)(end - (nint)bytes);
        }
        else
        {
            _guard = _mapping;
            _data = (T*)first;
        }

        if (LibC.mprotect(_guard, page, ProtNone) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = LibC.munmap(_mapping, _mappingLength);
            throw new InvalidOperationException($"mprotect failed: errno {errno}.");
        }
    }

    /// <summary>The side that touches the guard page.</summary>
    public GuardSide Side { get; }

    /// <summary>Elements in the buffer.</summary>
    public int Length { get; }

    /// <summary>The buffer.</summary>
    public Span<T> Span => new(_data, Length);

    /// <summary>The address of the guard page (tests).</summary>
    public nint GuardAddress => _guard;

    /// <summary>Whether the kernel's view of the guard page (from /proc/self/maps) is really no-access: proves the placement can catch something.</summary>
    /// <returns>True when the page holding <see cref="GuardAddress"/> is mapped with no permissions.</returns>
    public bool GuardIsInaccessible()
    {
        ulong address = (ulong)_guard;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            ulong from = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong to = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (address >= from && address < to)
            {
                return line.AsSpan(space + 1, 3).SequenceEqual("---");
            }
        }

        return false;
    }

    /// <summary>Unmaps the memory.</summary>
    public void Dispose()
    {
        _ = LibC.munmap(_mapping, _mappingLength);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Guard-page buffers: where they work, and copies.</summary>
public static class GuardedBuffer
{
    /// <summary>Why guarded buffers cannot be made on this platform, or null when they can.</summary>
    public static string? SkipReason =>
        OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64)
            ? null
            : "guard-page buffers need Linux (x64 or Arm64) mmap/mprotect; this is " + RuntimeInformation.OSDescription;

    /// <summary>A guarded copy of <paramref name="source"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The elements.</param>
    /// <param name="side">Which end touches the guard page.</param>
    /// <returns>The buffer; the caller disposes it.</returns>
    public static GuardedBuffer<T> CopyOf<T>(ReadOnlySpan<T> source, GuardSide side)
        where T : unmanaged
    {
        var buffer = new GuardedBuffer<T>(source.Length, side);
        source.CopyTo(buffer.Span);
        return buffer;
    }
}

/// <summary>The three libc calls <see cref="GuardedBuffer{T}"/> needs.</summary>
internal static class LibC
{
    [DllImport("libc", SetLastError = true)]
    internal static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    internal static extern int mprotect(nint address, nuint length, int protection);

    [DllImport("libc", SetLastError = true)]
    internal static extern int munmap(nint address, nuint length);
}

/// <summary>A fact that runs only where <see cref="GuardedBuffer{T}"/> works, skipped elsewhere with the reason.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GuardPageFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason on platforms without guard pages.</summary>
    public GuardPageFactAttribute()
    {
        if (GuardedBuffer.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
