using System.Runtime.InteropServices;

namespace Backprop.Training.Persistence;

/// <summary>What a path names, as far as writing over it is concerned.</summary>
internal enum FileKind
{
    /// <summary>Nothing (or a dangling symbolic link).</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A device node, FIFO, socket or anything else that is not a regular file.</summary>
    Other,
}

/// <summary>The kind of a file and, where the platform tells, its identity (device and inode) and permission bits.</summary>
/// <param name="Kind">What the path names (symbolic links followed).</param>
/// <param name="HasIdentity">Whether <paramref name="Device"/> and <paramref name="Inode"/> are known.</param>
/// <param name="Device">The device the file is on.</param>
/// <param name="Inode">The file's inode number on that device.</param>
internal readonly record struct FileIdentity(FileKind Kind, bool HasIdentity, ulong Device, ulong Inode);

/// <summary>
/// File kind and identity: on Linux by <c>statx(2)</c>, whose result layout is the same on every
/// architecture; elsewhere (or if the call is unavailable) from .NET's attributes, which cannot tell
/// a device or a FIFO from a regular file and give no identity (callers then compare resolved paths).
/// </summary>
internal static unsafe partial class FileStatus
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const int W_OK = 2;
    private const int X_OK = 1;

    private static readonly bool UseStatx = OperatingSystem.IsLinux();

    /// <summary>The kind and identity of what <paramref name="path"/> names, following symbolic links.</summary>
    public static FileIdentity Get(string path)
    {
        if (UseStatx)
        {
            try
            {
                byte* buffer = stackalloc byte[256];
                if (Statx(AtFdCwd, path, 0, StatxType | StatxIno, buffer) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    return errno is ENOENT or ENOTDIR or ELOOP ? new FileIdentity(FileKind.Missing, false, 0, 0) : Fallback(path);
                }

                int mode = *(ushort*)(buffer + 28) & 0xF000;
                ulong inode = *(ulong*)(buffer + 32);
                uint devMajor = *(uint*)(buffer + 136);
                uint devMinor = *(uint*)(buffer + 140);
                FileKind kind = mode switch
                {
                    0x8000 => FileKind.Regular,
                    0x4000 => FileKind.Directory,
                    _ => FileKind.Other,
                };
                return new FileIdentity(kind, true, ((ulong)devMajor << 32) | devMinor, inode);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return Fallback(path);
            }
        }

        return Fallback(path);
    }

    /// <summary>Whether this process may write to <paramref name="path"/> (Unix <c>access(2)</c>); null when the platform cannot say.</summary>
    public static bool? CanWrite(string path, bool directory)
    {
        if (UseStatx)
        {
            try
            {
                return Access(path, directory ? W_OK | X_OK : W_OK) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return null;
            }
        }

        return null;
    }

    private static FileIdentity Fallback(string path)
    {
        if (Directory.Exists(path))
        {
            return new FileIdentity(FileKind.Directory, false, 0, 0);
        }

        return new FileIdentity(File.Exists(path) ? FileKind.Regular : FileKind.Missing, false, 0, 0);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryDescriptor, string path, int flags, uint mask, byte* result);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
