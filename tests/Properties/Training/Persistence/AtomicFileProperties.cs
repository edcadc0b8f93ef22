using System.Diagnostics;
using System.Globalization;
using Backprop.Properties.Support;
using Backprop.Training.Persistence;

namespace Backprop.Properties.Training.Persistence;

/// <summary>
/// <see cref="AtomicFile"/>: a write that fails part-way leaves the old file byte for byte and no
/// temporary file; non-regular and read-only targets are refused; hard and symbolic links to the same
/// file are recognised; temporary files of dead processes are removed by the next write.
/// </summary>
public sealed class AtomicFileProperties : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    /// <summary>Seeded: old content, new content and the failure point are random; a failure anywhere leaves the old bytes.</summary>
    [Fact]
    public void AWriteThatFailsAnywhereLeavesTheOldFile()
    {
        var random = new Random(HostileFiles.Seed(20261130));
        string path = PathOf("target.bin");
        for (int i = 0; i < (HostileFiles.Soak ? 2000 : 100); i++)
        {
            byte[] old = RandomBytes(random, random.Next(0, 3000));
            AtomicFile.Write(path, old);
            Assert.Equal(old, File.ReadAllBytes(path));
            byte[] next = RandomBytes(random, random.Next(1, 3000));
            int failAt = random.Next(0, next.Length);
            var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
            {
                stream.Write(next.AsSpan(0, failAt));
                throw new IOException("simulated failure");
            }));
            Assert.Equal("simulated failure", e.Message);
            Assert.Equal(old, File.ReadAllBytes(path));
            Assert.Equal(["target.bin"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void NonRegularAndReadOnlyTargetsAreRefusedAndLeftAsTheyWere()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        HostileFiles.Fifo(PathOf("fifo"));
        HostileFiles.CharacterDevice(PathOf("device"));
        using System.Net.Sockets.Socket socket = HostileFiles.Socket(PathOf("socket"));
        Directory.CreateDirectory(PathOf("folder"));
        File.WriteAllText(PathOf("readonly.txt"), "keep me");
        HostileFiles.ReadOnly(PathOf("readonly.txt"));
        File.CreateSymbolicLink(PathOf("link-to-fifo"), PathOf("fifo"));
        foreach (string name in new[] { "fifo", "device", "socket", "folder", "readonly.txt", "link-to-fifo" })
        {
            string path = PathOf(name);
            string before = HostileFiles.Hash(path);
            var e = Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, [1, 2, 3]));
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
            Assert.Equal(before, HostileFiles.Hash(path));
        }

        Assert.Equal("keep me", File.ReadAllText(PathOf("readonly.txt")));
        Assert.Equal("character special file", HostileFiles.Kind("/dev/null"));
        Assert.Throws<ArgumentException>(() => AtomicFile.Write(string.Empty, [1]));
        Assert.Throws<ArgumentException>(() => AtomicFile.Write("  ", [1]));
        Assert.Throws<ArgumentException>(() => AtomicFile.Write(PathOf(new string('n', 256)), [1]));
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(PathOf("none/x"), [1]));
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal));
    }

    /// <summary>A name of 255 bytes (the file-system limit) is written: the temporary name uses only a prefix of it.</summary>
    [Fact]
    public void TheLongestNameStillLeavesRoomForTheTemporaryName()
    {
        string name = new string('é', 127) + "x"; // 255 UTF-8 bytes
        AtomicFile.Write(PathOf(name), [7]);
        Assert.Equal([7], File.ReadAllBytes(PathOf(name)));
    }

    [Fact]
    public void LinksAndSpellingsOfTheSameFileAreTheSameFile()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        string a = PathOf("a.csv");
        File.WriteAllText(a, "x");
        File.WriteAllText(PathOf("copy.csv"), "x");
        Directory.CreateDirectory(PathOf("sub"));
        HostileFiles.HardLink(a, PathOf("hard.csv"));
        File.CreateSymbolicLink(PathOf("soft.csv"), a);
        File.CreateSymbolicLink(PathOf("soft2.csv"), PathOf("soft.csv"));
        File.CreateSymbolicLink(PathOf("dirlink"), _dir.Path);
        string[] same = [a, PathOf("hard.csv"), PathOf("soft.csv"), PathOf("soft2.csv"), Path.Combine(_dir.Path, ".", "a.csv"), Path.Combine(_dir.Path, "sub", "..", "a.csv"), Path.Combine(PathOf("dirlink"), "a.csv"), _dir.Path + "//a.csv"];
        foreach (string x in same)
        {
            foreach (string y in same)
            {
                Assert.True(AtomicFile.RefersToSameFile(x, y), $"{x} vs {y}");
            }

            Assert.False(AtomicFile.RefersToSameFile(x, PathOf("copy.csv")));
            Assert.False(AtomicFile.RefersToSameFile(x, PathOf("missing.csv")));
        }
    }

    [Fact]
    public void WritingThroughASymbolicLinkReplacesItsTargetAndKeepsTheLinkAndPermissions()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        string target = PathOf("real.bin");
        File.WriteAllBytes(target, [1]);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(PathOf("link.bin"), target);
        AtomicFile.Write(PathOf("link.bin"), [2, 3]);
        Assert.Equal([2, 3], File.ReadAllBytes(target));
        Assert.NotNull(new FileInfo(PathOf("link.bin")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    /// <summary>Leftovers of a dead process are removed by the next write into the folder; a live process's recent one and other files stay.</summary>
    [Fact]
    public void StaleTemporaryFilesAreRemovedOnTheNextWrite()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        int dead = DeadProcessId();
        string deadTemp = PathOf(string.Create(CultureInfo.InvariantCulture, $".model.bpm.{dead}.0123456789abcdef.bptmp"));
        string liveTemp = PathOf(".model.bpm.1.0123456789abcdef.bptmp"); // pid 1 runs
        string oldLiveTemp = PathOf(".other.bpm.1.fedcba9876543210.bptmp");
        string lookalike = PathOf(string.Create(CultureInfo.InvariantCulture, $"model.{dead}.tmp"));
        foreach (string f in new[] { deadTemp, liveTemp, oldLiveTemp, lookalike })
        {
            File.WriteAllText(f, "partial");
        }

        File.SetLastWriteTimeUtc(oldLiveTemp, DateTime.UtcNow - AtomicFile.StaleAge - TimeSpan.FromMinutes(1));
        Assert.True(AtomicFile.IsTemporaryFileName(Path.GetFileName(deadTemp)));
        Assert.False(AtomicFile.IsTemporaryFileName(Path.GetFileName(lookalike)));
        AtomicFile.Write(PathOf("model.bpm"), [1]);
        Assert.False(File.Exists(deadTemp));
        Assert.False(File.Exists(oldLiveTemp));
        Assert.True(File.Exists(liveTemp));
        Assert.True(File.Exists(lookalike));
    }

    /// <summary>The id of a process that has exited (and been reaped).</summary>
    internal static int DeadProcessId()
    {
        using Process p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        int id = p.Id;
        Assert.False(Directory.Exists($"/proc/{id}"));
        return id;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
