using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Properties.Training.Persistence;
using Backprop.Properties.Training;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The micro-kernels' depth loops as the JIT compiles them, read from its own listing
/// (<c>DOTNET_JitDisasm</c>) in a child process that trains a small network with the CLI at each
/// width: the loop must be the tile's multiply-adds, its B loads and A broadcasts and the loop
/// control, with no register moves and no stack traffic. The AVX2 and 128-bit loops once carried a
/// <c>vmovaps</c> after every second FMA (7 per iteration) because the FMA-or-not test was written
/// <c>Fma.IsSupported || AdvSimd.IsSupported</c>: the short-circuit made the inlined multiply-add a
/// branch, its arguments temporaries, and the register allocator copied each second product back.
/// No numeric property can see that; this test reads the code.
/// </summary>
public partial class GemmKernelsCodegenTests(ITestOutputHelper output)
{
    [CpuFlagsFact("avx512f")]
    public void The512BitLoopHoldsItsSixteenAccumulatorsInRegisters() =>
        AssertCleanLoop(new() { ["BACKPROP_VECTOR_BITS"] = "512" }, "Kernel512`1[float]:Tile[Backprop.Kernels.NoEpilogue`1[float]]", fmas: 16);

    [CpuFlagsFact("avx2", "fma")]
    public void The256BitLoopFitsAvx2sSixteenRegistersWithoutMoves() =>
        AssertCleanLoop(new() { ["DOTNET_EnableAVX512"] = "0" }, "Kernel6x2`3[float,System.Runtime.Intrinsics.Vector256`1[float],Backprop.Kernels.Simd256`1[float]]:Tile[Backprop.Kernels.NoEpilogue`1[float]]", fmas: 12);

    [CpuFlagsFact("avx2", "fma")]
    public void The128BitFmaLoopFitsSixteenRegistersWithoutMoves() =>
        AssertCleanLoop(new() { ["DOTNET_EnableAVX512"] = "0", ["BACKPROP_VECTOR_BITS"] = "128" }, "Kernel6x2`3[float,System.Runtime.Intrinsics.Vector128`1[float],Backprop.Kernels.Simd128`1[float]]:Tile[Backprop.Kernels.NoEpilogue`1[float]]", fmas: 12);

    [Fact]
    public void TheLoopReaderFindsMovesAndSpills()
    {
        // The listing shape the JIT printed before the fix (abridged): the reader must reject it.
        string[] listing =
        [
            "; Assembly listing for method Backprop.Kernels.Kernel256`1[float]:Tile[Backprop.Kernels.NoEpilogue`1[float]](int,byref,byref,byref,nint,float,float,byref,byref,nint) (FullOpts)",
            "G_M000_IG03:                ;; offset=0x004F",
            "       vmovups  ymm14, ymmword ptr [rdx]",
            "       vbroadcastss ymm0, dword ptr [rsi]",
            "       vfmadd231ps ymm2, ymm14, ymm0",
            "       vfmadd213ps ymm0, ymm15, ymm3",
            "       vmovaps  ymm3, ymm0",
            "       vmovups  ymmword ptr [rbp-0x30], ymm4",
            "       cmp      eax, edi",
            "       jl       SHORT G_M000_IG03",
            "G_M000_IG04:                ;; offset=0x00E6",
        ];
        string[] body = LoopBody(listing);
        Assert.Equal(8, body.Length);
        Assert.Equal(["       vmovaps  ymm3, ymm0", "       vmovups  ymmword ptr [rbp-0x30], ymm4"], Offending(body));
        Assert.Equal(2, body.Count(l => l.Contains("vfmadd", StringComparison.Ordinal)));
    }

    private void AssertCleanLoop(Dictionary<string, string> environment, string method, int fmas)
    {
        string[] listing = Listing(environment, method);
        string[] body = LoopBody(listing);
        output.WriteLine(string.Join('\n', body));
        Assert.True(body.Length > 0, $"no loop found in the listing of {method}");
        Assert.Empty(Offending(body));
        Assert.Equal(fmas, body.Count(l => l.Contains("vfmadd", StringComparison.Ordinal)));
    }

    /// <summary>Register-to-register moves and any access to the stack frame.</summary>
    private static string[] Offending(string[] body) =>
        [.. body.Where(l => l.Contains("vmovaps", StringComparison.Ordinal) || l.Contains("[rbp", StringComparison.Ordinal) || l.Contains("[rsp", StringComparison.Ordinal))];

    /// <summary>The lines from the target of the listing's last backward branch to that branch.</summary>
    internal static string[] LoopBody(string[] listing)
    {
        for (int i = listing.Length - 1; i >= 0; i--)
        {
            Match jump = BranchPattern().Match(listing[i]);
            if (!jump.Success)
            {
                continue;
            }

            int target = Array.FindIndex(listing, 0, i, l => l.StartsWith(jump.Groups[1].Value + ":", StringComparison.Ordinal));
            if (target >= 0)
            {
                return listing[(target + 1)..(i + 1)];
            }
        }

        return [];
    }

    /// <summary>Trains a 4-64-64-2 network (packed GEMM in the forward pass) in a child process and returns the JIT's listing of <paramref name="method"/>.</summary>
    private static string[] Listing(Dictionary<string, string> environment, string method)
    {
        using var folder = new TempDirectory();
        string listingFile = Path.Combine(folder.Path, "jit.txt");
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll"), "train", "--data", Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "train.csv"),
            "--label", "IsStairs", "--ignore", "ImageId", "--hidden", "64,64", "--batch-size", "64", "--epochs", "1", "--threads", "1", "-q", "-o", Path.Combine(folder.Path, "m.bpm"),
        })
        {
            start.ArgumentList.Add(a);
        }

        // The child gets exactly the hardware setting asked for, whatever leg this process runs in.
        foreach (string inherited in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k == "BACKPROP_VECTOR_BITS").ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach ((string setting, string value) in environment)
        {
            start.Environment[setting] = value;
        }

        string name = method[(method.IndexOf(':', StringComparison.Ordinal) + 1)..];
        start.Environment["DOTNET_JitDisasm"] = name.Contains('[', StringComparison.Ordinal) ? name[..name.IndexOf('[', StringComparison.Ordinal)] : name;
        start.Environment["DOTNET_JitStdOutFile"] = listingFile;
        using (Process child = Process.Start(start)!)
        {
            string error = child.StandardError.ReadToEnd();
            _ = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Assert.True(child.ExitCode == 0, string.Create(CultureInfo.InvariantCulture, $"child exit {child.ExitCode}: {error}"));
        }

        string[] all = File.ReadAllLines(listingFile);
        int first = Array.FindIndex(all, l => l.StartsWith("; Assembly listing for method Backprop.Kernels." + method, StringComparison.Ordinal));
        Assert.True(first >= 0, $"the JIT listed no {method} (listed: {string.Join("; ", all.Where(l => l.StartsWith("; Assembly listing", StringComparison.Ordinal)))})");
        int next = Array.FindIndex(all, first + 1, l => l.StartsWith("; Assembly listing", StringComparison.Ordinal));
        return all[first..(next < 0 ? all.Length : next)];
    }

    [GeneratedRegex(@"^\s+j[a-z]+\s+(?:SHORT\s+)?(G_M\d+_IG\d+)\s*$")]
    private static partial Regex BranchPattern();
}

/// <summary>A fact that runs only where /proc/cpuinfo lists every one of the given CPU flags (x64 Linux).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CpuFlagsFactAttribute : FactAttribute
{
    /// <summary>Skips the fact, naming the missing flags, where the CPU or the OS does not show them.</summary>
    public CpuFlagsFactAttribute(params string[] flags)
    {
        HashSet<string> present = File.Exists("/proc/cpuinfo")
            ? [.. File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("flags", StringComparison.Ordinal)).Take(1).SelectMany(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))]
            : [];
        string[] missing = [.. flags.Where(f => !present.Contains(f))];
        if (missing.Length > 0)
        {
            Skip = $"the CPU does not show {string.Join(", ", missing)} in /proc/cpuinfo (or this is not Linux): that kernel cannot run here";
        }
    }
}
