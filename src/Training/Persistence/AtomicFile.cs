using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Backprop.Training.Persistence;

/// <summary>
/// Writes a file so that readers (and a crash) see either the old content or the new, never a
/// half-written file, and never writes over something that is not a regular file.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Write(string, Action{Stream})"/> writes to a temporary file in the target's directory,
/// named <c>.NAME.PID.RANDOM.bptmp</c> (<c>NAME</c>: the first 32 characters of the target's name;
/// <c>PID</c>: the writing process; <c>RANDOM</c>: 16 hexadecimal digits), flushes it to the disk, and
/// renames it over the target. A symbolic link as target is followed: the file it points to is
/// replaced and the link kept. On Unix the new file gets the old file's permission bits.
/// </para>
/// <para>
/// A process killed during a write leaves its temporary file behind. Every write first removes, in
/// the same directory, files of this pattern whose process no longer runs (on Linux, where that can
/// be known) or that are older than <see cref="StaleAge"/>.
/// </para>
/// <para>The directory is not flushed after the rename: after a power loss, the old file may be back.</para>
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>The end of every temporary file's name.</summary>
    public const string TemporarySuffix = ".bptmp";

    /// <summary>The longest file name accepted, in UTF-8 bytes (the usual file-system limit).</summary>
    public const int MaxFileNameBytes = 255;

    /// <summary>The longest full path accepted, in UTF-8 bytes (Linux's <c>PATH_MAX</c> less the temporary name's extra length).</summary>
    public const int MaxPathBytes = 4096 - 64;

    private const int NamePrefixChars = 32;

    /// <summary>Temporary files of this pattern older than this are removed on the next write into their directory, whoever wrote them.</summary>
    public static TimeSpan StaleAge => TimeSpan.FromHours(1);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="content">The new content.</param>
    /// <exception cref="ArgumentException">The path is empty or its name too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="IOException">The target is not a regular file or is read-only, or writing failed; the old file, if any, is unchanged.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content) => WriteCore(path, null, content);

    /// <summary>Writes a file atomically: <paramref name="writeContent"/> writes the new content to a temporary file, which then replaces <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="writeContent">Writes the whole content to the stream it is given (and should not close it). If it throws, the temporary file is removed, the target is left as it was, and the exception propagates.</param>
    /// <exception cref="ArgumentException">The path is empty or its name too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="IOException">The target is not a regular file or is read-only, or writing failed; the old file, if any, is unchanged.</exception>
    public static void Write(string path, Action<Stream> writeContent)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        WriteCore(path, writeContent, default);
    }

    /// <summary>Writes <paramref name="content"/>, or what <paramref name="writeContent"/> writes when it is not null.</summary>
    private static void WriteCore(string path, Action<Stream>? writeContent, ReadOnlySpan<byte> content)
    {
        string target = CheckTarget(path);
        string directory = Path.GetDirectoryName(target) ?? ".";
        RemoveStaleTemporaryFiles(directory);
        string temporary = Path.Combine(directory, TemporaryName(Path.GetFileName(target)));
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                if (writeContent is null)
                {
                    file.Write(content);
                }
                else
                {
                    writeContent(file);
                }

                file.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows() && File.Exists(target))
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Checks, without writing anything, that <see cref="Write(string, Action{Stream})"/> could replace
    /// <paramref name="path"/>: a non-empty name of at most <see cref="MaxFileNameBytes"/> bytes, an
    /// existing writable directory, and either nothing at the path or a regular file that is not read-only.
    /// </summary>
    /// <param name="path">The file to be created or replaced.</param>
    /// <returns>The full path that would be written (symbolic links followed).</returns>
    /// <exception cref="ArgumentException">The path is empty or blank, ends in a separator, or its name or whole length is too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="IOException">The path names a directory, a device, a FIFO, a socket or another non-regular file, or a read-only file.</exception>
    public static string CheckTarget(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The output path is empty.", nameof(path));
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The output path contains a NUL character.", nameof(path));
        }

        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new ArgumentException($"The output path {Excerpt(path)} names a directory, not a file.", nameof(path));
        }

        FileIdentity status = FileStatus.Get(full);
        if (status.Kind == FileKind.Regular && File.ResolveLinkTarget(full, returnFinalTarget: true) is FileSystemInfo link)
        {
            full = link.FullName;
            name = Path.GetFileName(full);
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxFileNameBytes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The output file name {Excerpt(name)} is {Encoding.UTF8.GetByteCount(name)} bytes long; at most {MaxFileNameBytes} are accepted."), nameof(path));
        }

        if (Encoding.UTF8.GetByteCount(full) > MaxPathBytes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The output path {Excerpt(full)} is {Encoding.UTF8.GetByteCount(full)} bytes long; at most {MaxPathBytes} are accepted."), nameof(path));
        }

        switch (status.Kind)
        {
            case FileKind.Directory:
                throw new IOException($"Refusing to write {Excerpt(path)}: it is a directory.");
            case FileKind.Other:
                throw new IOException($"Refusing to write {Excerpt(path)}: it exists and is not a regular file (a device, FIFO or socket); it would be replaced.");
            case FileKind.Regular when IsReadOnly(full):
                throw new IOException($"Refusing to replace {Excerpt(path)}: the file is read-only.");
            default:
                break;
        }

        string directory = Path.GetDirectoryName(full) ?? ".";
        FileKind directoryKind = FileStatus.Get(directory).Kind;
        if (directoryKind != FileKind.Directory)
        {
            throw new DirectoryNotFoundException($"Cannot write {Excerpt(path)}: directory {Excerpt(directory)} does not exist.");
        }

        if (FileStatus.CanWrite(directory, directory: true) == false)
        {
            throw new UnauthorizedAccessException($"Cannot write {Excerpt(path)}: directory {Excerpt(directory)} is not writable.");
        }

        return full;
    }

    /// <summary>
    /// Whether two paths name the same existing file: the same device and inode on Linux (so hard
    /// links and symbolic links are caught), otherwise the same fully resolved path.
    /// </summary>
    /// <param name="first">A path.</param>
    /// <param name="second">Another path.</param>
    /// <returns>True when both exist and are the same file.</returns>
    public static bool RefersToSameFile(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Length == 0 || second.Length == 0)
        {
            return false;
        }

        string a = Path.GetFullPath(first);
        string b = Path.GetFullPath(second);
        FileIdentity x = FileStatus.Get(a);
        FileIdentity y = FileStatus.Get(b);
        if (x.Kind == FileKind.Missing || y.Kind == FileKind.Missing)
        {
            return false;
        }

        if (x.HasIdentity && y.HasIdentity)
        {
            return x.Device == y.Device && x.Inode == y.Inode;
        }

        StringComparison comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return string.Equals(Resolve(a), Resolve(b), comparison);
    }

    /// <summary>Whether <paramref name="fileName"/> has the pattern of this class's temporary files.</summary>
    /// <param name="fileName">A file name (without directory).</param>
    /// <returns>True for <c>.NAME.PID.RANDOM.bptmp</c>.</returns>
    public static bool IsTemporaryFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return TemporaryPattern().IsMatch(fileName);
    }

    /// <summary>
    /// Removes this class's temporary files from <paramref name="directory"/> whose process no longer
    /// runs (Linux) or that are older than <see cref="StaleAge"/>; best effort, errors are ignored.
    /// </summary>
    /// <param name="directory">The directory.</param>
    /// <returns>How many files were removed.</returns>
    public static int RemoveStaleTemporaryFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        int removed = 0;
        try
        {
            DateTime now = DateTime.UtcNow;
            foreach (string file in Directory.EnumerateFiles(directory, "*" + TemporarySuffix))
            {
                Match match = TemporaryPattern().Match(Path.GetFileName(file));
                if (!match.Success)
                {
                    continue;
                }

                bool old = now - File.GetLastWriteTimeUtc(file) > StaleAge;
                bool orphan = int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                    && pid != Environment.ProcessId && !IsRunning(pid);
                if ((old || orphan) && TryDelete(file))
                {
                    removed++;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a directory that cannot be listed has no leftovers we could remove anyway.
        }

        return removed;
    }

    private static string TemporaryName(string name)
    {
        int take = Math.Min(name.Length, NamePrefixChars);
        if (take > 0 && take < name.Length && char.IsHighSurrogate(name[take - 1]))
        {
            take--;
        }

        return string.Create(CultureInfo.InvariantCulture, $".{name.AsSpan(0, take)}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N").AsSpan(0, 16)}{TemporarySuffix}");
    }

    private static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self"))
        {
            return Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));
        }

        return true; // cannot tell cheaply: leave it to the age rule
    }

    private static bool IsReadOnly(string full)
    {
        if (OperatingSystem.IsWindows())
        {
            return (File.GetAttributes(full) & FileAttributes.ReadOnly) != 0;
        }

        const UnixFileMode anyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        return (File.GetUnixFileMode(full) & anyWrite) == 0 || FileStatus.CanWrite(full, directory: false) == false;
    }

    private static string Resolve(string full) =>
        File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;

    private static string Excerpt(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 60), "…", text.AsSpan(text.Length - 40));

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // best effort: a leftover is removed by a later write
        }
    }

    [GeneratedRegex(@"^\..*\.([0-9]{1,10})\.[0-9a-f]{16}\.bptmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryPattern();
}
