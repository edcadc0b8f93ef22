using System.Text;
using Backprop.Cli;
using Backprop.Properties.Support;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// Generated output paths that would destroy something: an input under another spelling (./, ../,
/// doubled slashes, a symbolic link, a chain of links, a link to its folder, a hard link, a path
/// relative to the working directory), a FIFO, a device node, a socket, a directory, a read-only
/// file, an empty or blank name, a name over 255 bytes, a missing folder — and, as controls, fresh
/// names and writable files that may be replaced. For each: the documented exit code, one line on
/// standard error, every input byte-identical, the hostile target unchanged, no temporary file left.
/// Seeded (BACKPROP_FUZZ_SEED to replay); BACKPROP_FUZZ=soak runs 2000 cases instead of 60.
/// </summary>
public sealed class OutputPathAbuseTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliHarness _h = new();
    private readonly List<IDisposable> _sockets = [];

    public void Dispose()
    {
        _sockets.ForEach(s => s.Dispose());
        _h.Dispose();
    }

    private enum Kind
    {
        SameAsInput,
        Fifo,
        Device,
        Socket,
        Directory,
        ReadOnly,
        Blank,
        LongName,
        MissingFolder,
        Fresh,
        WritableFile,
    }

    [Fact]
    public void HostileOutputPathsAreRefusedAndNothingIsLost()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        int seed = HostileFiles.Seed(1130);
        var random = new Random(seed);
        int cases = HostileFiles.Soak ? 2000 : 60;
        var counts = new Dictionary<string, int>();
        Directory.CreateDirectory(_h.PathOf("sub"));
        File.CreateSymbolicLink(_h.PathOf("dirlink"), _h.Folder);
        for (int i = 0; i < cases; i++)
        {
            string caseDir = _h.PathOf($"case{i}");
            Directory.CreateDirectory(caseDir);
            var kind = (Kind)random.Next(Enum.GetValues<Kind>().Length);
            bool train = random.Next(2) == 0;
            (string target, int expected, string? guarded) = Make(kind, random, caseDir, train);
            string before = guarded is null ? string.Empty : HostileFiles.Hash(guarded);
            string[] args = train
                ? ["train", "--data", Spell(_h.TrainCsv, random, caseDir), "--test", _h.TestCsv, "--epochs", "1", "--hidden", "2", "--threads", "1", "-q", "-o", target]
                : ["predict", Spell(_h.Model, random, caseDir), Spell(_h.TestCsv, random, caseDir), "-o", target];
            string context = $"case {i} (seed {seed}): {kind}: {string.Join(' ', args.Select(a => a.Length > 80 ? a[..80] + "…" : a))}";
            CliResult r = CliHarness.Run(null, args);
            CliHarness.AssertError(r, expected, context);
            _h.AssertInputsUnchanged(context);
            if (guarded is not null)
            {
                Assert.True(before == HostileFiles.Hash(guarded), $"{context}: the target changed");
            }

            if (expected == 0)
            {
                Assert.True(File.Exists(target) && File.ReadAllBytes(target).Length > 0, $"{context}: no output");
            }

            _h.AssertNoTemporaryFiles(context);
            string key = $"{kind} → exit {expected}";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.Equal("character special file", HostileFiles.Kind("/dev/null"));
        foreach ((string key, int n) in counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{n,5}  {key}");
        }

        Assert.True(counts.Count >= 8, "the generator should reach most kinds");
    }

    /// <summary>The target path, the exit code expected, and a file whose content (or kind) must survive.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private (string Target, int Expected, string? Guarded) Make(Kind kind, Random random, string caseDir, bool train)
    {
        string name = Path.Combine(caseDir, "out");
        switch (kind)
        {
            case Kind.SameAsInput:
                {
                    string[] inputs = train ? [_h.TrainCsv, _h.TestCsv] : [_h.Model, _h.TestCsv];
                    return (Spell(inputs[random.Next(inputs.Length)], random, caseDir, always: true), ExitCodes.Usage, null);
                }

            case Kind.Fifo:
                HostileFiles.Fifo(name);
                return (name, ExitCodes.Usage, name);
            case Kind.Device:
                HostileFiles.CharacterDevice(name);
                return (name, ExitCodes.Usage, name);
            case Kind.Socket:
                _sockets.Add(HostileFiles.Socket(name));
                return (name, ExitCodes.Usage, name);
            case Kind.Directory:
                Directory.CreateDirectory(name);
                return (random.Next(2) == 0 ? name : name + "/", ExitCodes.Usage, name);
            case Kind.ReadOnly:
                File.WriteAllText(name, "read-only content " + random.Next());
                HostileFiles.ReadOnly(name);
                return (name, ExitCodes.Usage, name);
            case Kind.Blank:
                return (random.Next(3) switch { 0 => string.Empty, 1 => " ", _ => "\t " }, ExitCodes.Usage, null);
            case Kind.LongName:
                {
                    // Over 255 bytes: long ASCII, or fewer than 255 characters of two-byte UTF-8.
                    string longName = random.Next(2) == 0 ? new string('a', random.Next(256, 400)) : new string('é', random.Next(128, 250));
                    return (Path.Combine(caseDir, longName), ExitCodes.Usage, null);
                }

            case Kind.MissingFolder:
                return (Path.Combine(caseDir, "no", "such", "out"), ExitCodes.FileProblem, null);
            case Kind.WritableFile:
                File.WriteAllText(name, "old");
                return (name, ExitCodes.Success, null);
            default:
                {
                    var fresh = new StringBuilder("fresh-");
                    int length = random.Next(1, 120);
                    for (int c = 0; c < length; c++)
                    {
                        fresh.Append("abcXYZ019-_.é€ "[random.Next(15)]);
                    }

                    return (Path.Combine(caseDir, fresh.ToString().TrimEnd('.', ' ') + ".out"), ExitCodes.Success, null);
                }
        }
    }

    /// <summary>Another spelling of <paramref name="file"/> (or, unless <paramref name="always"/>, often the plain path).</summary>
    private string Spell(string file, Random random, string caseDir, bool always = false)
    {
        if (!always && random.Next(3) != 0)
        {
            return file;
        }

        string name = Path.GetFileName(file);
        string link = Path.Combine(caseDir, "link" + random.Next(1_000_000) + "-" + name);
        switch (random.Next(9))
        {
            case 0:
                return file;
            case 1:
                return Path.Combine(_h.Folder, ".", name);
            case 2:
                return Path.Combine(_h.Folder, "sub", "..", name);
            case 3:
                return _h.Folder + "//" + name;
            case 4:
                File.CreateSymbolicLink(link, file);
                return link;
            case 5:
                File.CreateSymbolicLink(link + ".1", file);
                File.CreateSymbolicLink(link, link + ".1");
                return link;
            case 6:
                HostileFiles.HardLink(file, link);
                return link;
            case 7:
                return Path.Combine(_h.PathOf("dirlink"), name);
            default:
                return Path.GetRelativePath(Environment.CurrentDirectory, file);
        }
    }
}
