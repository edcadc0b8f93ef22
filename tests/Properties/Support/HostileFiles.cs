using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Backprop.Properties.Support;

/// <summary>
/// Makes the file-system objects an output path must never destroy (FIFOs, device nodes, sockets,
/// hard and symbolic links, read-only files) and checks them independently of the code under test
/// (<c>stat(1)</c>, SHA-256). Linux only; tests that need them return early elsewhere.
/// </summary>
internal static class HostileFiles
{
    /// <summary>The environment variable that selects bigger case counts: <c>BACKPROP_FUZZ=soak</c>.</summary>
    public const string FuzzVariable = "BACKPROP_FUZZ";

    /// <summary>Whether the soak mode is on.</summary>
    public static bool Soak => Environment.GetEnvironmentVariable(FuzzVariable) == "soak";

    /// <summary>The seed of seeded generators: <c>BACKPROP_FUZZ_SEED</c> or a fixed default, so a failure can be replayed.</summary>
    public static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("BACKPROP_FUZZ_SEED"), out int seed) ? seed : fallback;

    /// <summary>Whether FIFOs, device nodes and links can be made here.</summary>
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Whether this process runs as root (it can then make device nodes, and ignores permission bits).</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    public static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process p = Process.Start(start)!;
        string error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {error}");
        }
    }

    /// <summary>The file type as <c>stat -c %F</c> names it ("regular file", "fifo", "character special file", "socket", "directory", …), or "missing".</summary>
    public static string Kind(string path)
    {
        var start = new ProcessStartInfo("stat") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("%F");
        start.ArgumentList.Add(path);
        using Process p = Process.Start(start)!;
        string text = p.StandardOutput.ReadToEnd().Trim();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? text : "missing";
    }

    public static void Fifo(string path) => Run("mkfifo", path);

    /// <summary>A character device: a real one (1,3 = null) when root can make it, else a symbolic link to /dev/null.</summary>
    public static void CharacterDevice(string path)
    {
        if (IsRoot)
        {
            try
            {
                Run("mknod", path, "c", "1", "3");
                return;
            }
            catch (InvalidOperationException)
            {
                // Not allowed in this container: fall back to a link.
            }
        }

        File.CreateSymbolicLink(path, "/dev/null");
    }

    /// <summary>A bound Unix socket file; keep the socket until the test ends (.NET removes the file when it is disposed).</summary>
    public static Socket Socket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    public static void HardLink(string existing, string link) => Run("ln", existing, link);

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static void ReadOnly(string path) => File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    /// <summary>The kind and, for a regular file, the SHA-256 of the content (one <c>stat</c> run).</summary>
    public static string Hash(string path)
    {
        string kind = Kind(path);
        return kind == "regular file" ? HashContent(path) : kind;
    }

    /// <summary>The SHA-256 of a file known to be regular (no process started).</summary>
    public static string HashContent(string path) => File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "missing";
}
