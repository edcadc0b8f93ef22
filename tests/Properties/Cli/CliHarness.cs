using System.Globalization;
using System.Text;
using Backprop.Cli;
using Backprop.Properties.Support;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Backprop.Training.Persistence;

namespace Backprop.Properties.Cli;

/// <summary>What a run of the tool gave: exit code, standard output, standard error.</summary>
internal sealed record CliResult(int Code, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// A temporary folder with small inputs (a CSV training and test file cut from the stairs data, a
/// model trained on them) and the tool run in-process on it; every input's hash is kept, so a test
/// can check after any run that no input changed.
/// </summary>
internal sealed class CliHarness : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _hashes = [];

    public CliHarness()
    {
        string[] train = File.ReadAllLines(Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "train.csv"));
        string[] test = File.ReadAllLines(Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "test.csv"));
        TrainCsv = PathOf("train.csv");
        TestCsv = PathOf("test.csv");
        Model = PathOf("model.bpm");
        File.WriteAllLines(TrainCsv, train.Take(61));
        File.WriteAllLines(TestCsv, test.Take(31));
        CliResult r = Run(null, "train", "--data", TrainCsv, "--test", TestCsv, "--epochs", "2", "--hidden", "3", "--threads", "1", "-q", "-o", Model);
        if (r.Code != 0)
        {
            throw new InvalidOperationException($"harness model: exit {r.Code}: {r.Error}");
        }

        foreach (string input in Inputs)
        {
            _hashes[input] = HostileFiles.HashContent(input);
        }
    }

    public string Folder => _dir.Path;

    public string TrainCsv { get; }

    public string TestCsv { get; }

    public string Model { get; }

    public IReadOnlyList<string> Inputs => [TrainCsv, TestCsv, Model];

    public string PathOf(string name) => Path.Combine(_dir.Path, name);

    public static CliResult Run(string? stdin, params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        Stream? input = stdin is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        int code = CliApp.Run(args, CliConsole.Redirected(o, e, input));
        return new CliResult(code, o.ToString(), e.ToString());
    }

    /// <summary>Every input is byte-identical to what it was when the harness was made.</summary>
    public void AssertInputsUnchanged(string context)
    {
        foreach ((string path, string hash) in _hashes)
        {
            Assert.True(hash == HostileFiles.HashContent(path), $"{context}: input {Path.GetFileName(path)} changed");
        }
    }

    /// <summary>No temporary file of <see cref="AtomicFile"/> anywhere under the folder.</summary>
    public void AssertNoTemporaryFiles(string context)
    {
        string[] left = [.. Directory.EnumerateFiles(_dir.Path, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories)];
        Assert.True(left.Length == 0, $"{context}: temporary files left: {string.Join(", ", left)}");
    }

    /// <summary>The documented shape of an error: the code, exactly one line on standard error starting <c>error:</c>, no stack trace.</summary>
    public static void AssertError(CliResult r, int code, string context)
    {
        Assert.True(code == r.Code, $"{context}: expected exit {code}, got {r.Code}: {r.Error}");
        if (code != 0)
        {
            Assert.True(r.ErrorLines.Length == 1, $"{context}: {r.ErrorLines.Length} lines on stderr: {r.Error}");
            Assert.StartsWith("error: ", r.ErrorLines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _dir.Dispose();
}
