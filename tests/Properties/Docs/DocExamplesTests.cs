using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Docs;

/// <summary>
/// Every tool example shown in README.md and docs/CLI.md is run here and its shown output compared
/// with the real one. The convention (stated in docs/CLI.md): a fenced block marked <c>console</c>
/// holds <c>$ command</c> lines, each followed by the output it prints (standard output and error);
/// a line that is only <c>…</c> stands for any number of lines; timings (<c>0.45 s</c>, <c>0.30 ms</c>)
/// and rates (<c>1,234 rows/s</c>) are masked, nothing else. The commands run in order, one document
/// per temporary folder holding a copy of <c>data/stairs</c> (as in a clone), through <c>bash</c>
/// with <c>backprop</c> defined as the built tool, with two processors
/// (<c>DOTNET_PROCESSOR_COUNT=2</c>, so the default thread count is the one shown).
/// </summary>
public sealed class DocExamplesTests(ITestOutputHelper output)
{
    public static TheoryData<string> Documents => new() { "README.md", "docs/CLI.md" };

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryShownExampleGivesTheShownOutput(string document)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // the examples are bash command lines
        }

        string root = StairsData.RepositoryRoot();
        List<DocExample> examples = DocExample.Parse(File.ReadAllText(Path.Combine(root, document)));
        if (document == "docs/CLI.md")
        {
            Assert.True(examples.Count >= 5, $"{document}: only {examples.Count} examples found");
        }

        using var dir = new TempDirectory();
        CopyDirectory(Path.Combine(root, "data", "stairs"), Path.Combine(dir.Path, "data", "stairs"));
        var failures = new StringBuilder();
        foreach (DocExample example in examples)
        {
            string actual = RunShell(example.Command, dir.Path);
            output.WriteLine($"$ {example.Command}\n{actual}");
            if (DocExample.Mismatch(example.Expected, actual) is string why)
            {
                failures.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{document}, line {example.Line}: $ {example.Command}\n  {why}\n  actual output:\n{Indent(actual)}");
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>Output shown outside the convention would not be checked: every <c>$ </c> line must be in a console block (commands shown without output, e.g. in <c>sh</c> blocks, are instructions).</summary>
    [Theory]
    [MemberData(nameof(Documents))]
    public void CommandsWithOutputAreOnlyInConsoleBlocks(string document)
    {
        string text = File.ReadAllText(Path.Combine(StairsData.RepositoryRoot(), document)).Replace("\r\n", "\n", StringComparison.Ordinal);
        string? fence = null;
        int number = 0;
        foreach (string line in text.Split('\n'))
        {
            number++;
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fence = fence is null ? line[3..].Trim() : null;
            }
            else if (fence is not null and not "console")
            {
                Assert.False(line.StartsWith("$ ", StringComparison.Ordinal), $"{document}, line {number}: a shown command with a prompt outside a ```console block is not checked: {line}");
            }
        }
    }

    /// <summary>The comparison can fail: a changed digit, a missing line, an extra line are all caught; timings are not.</summary>
    [Fact]
    public void TheComparisonCatchesAChangedOutput()
    {
        string[] shown = ["Loss:      0.3224", "…", "Saved:     stairs.bpm (236 bytes)"];
        Assert.Null(DocExample.Mismatch(shown, "Loss:      0.3224\na\nb\nSaved:     stairs.bpm (236 bytes)\n"));
        Assert.Null(DocExample.Mismatch(["Trained 1500 epochs in 0.45 s (0.30 ms per epoch)"], "Trained 1500 epochs in 12.5 s (8.33 ms per epoch)\n"));
        Assert.NotNull(DocExample.Mismatch(shown, "Loss:      0.3225\nSaved:     stairs.bpm (236 bytes)\n"));
        Assert.NotNull(DocExample.Mismatch(shown, "Loss:      0.3224\n"));
        Assert.NotNull(DocExample.Mismatch(["a", "b"], "a\nb\nc\n"));
        Assert.NotNull(DocExample.Mismatch(["not stairs,0.334004,0.665996"], "stairs,0.83938,0.16062\n"));
        Assert.NotNull(DocExample.Mismatch(["Trained 1500 epochs"], "Trained 1501 epochs\n"));
    }

    [Fact]
    public void TheParserFindsCommandsAndTheirOutput()
    {
        const string Doc = "text\n```console\n$ backprop a\nout 1\nout 2\n$ backprop b\n```\n```sh\nnot run\n```\n";
        List<DocExample> examples = DocExample.Parse(Doc);
        Assert.Equal(2, examples.Count);
        Assert.Equal("backprop a", examples[0].Command);
        Assert.Equal(["out 1", "out 2"], examples[0].Expected);
        Assert.Equal(3, examples[0].Line);
        Assert.Empty(examples[1].Expected);
    }

    private static string RunShell(string command, string folder)
    {
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        string tool = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = false, WorkingDirectory = folder };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"backprop() {{ '{host}' '{tool}' \"$@\"; }}\nexec 2>&1\n{command}");
        start.Environment["DOTNET_PROCESSOR_COUNT"] = "2";
        start.Environment["BACKPROP_DEBUG"] = null;
        using Process child = Process.Start(start)!;
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return text;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "    " + l));
}

/// <summary>A <c>$ command</c> shown in a console block of a document, and the lines shown after it.</summary>
/// <param name="Line">The command's 1-based line in the document.</param>
/// <param name="Command">The command line, without <c>$ </c>.</param>
/// <param name="Expected">The output shown.</param>
internal sealed partial record DocExample(int Line, string Command, IReadOnlyList<string> Expected)
{
    /// <summary>A line that is only this stands for any number of output lines.</summary>
    public const string Elision = "…";

    public static List<DocExample> Parse(string document)
    {
        string[] lines = document.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var examples = new List<DocExample>();
        bool console = false, inFence = false;
        int commandLine = 0;
        string? command = null;
        var expected = new List<string>();
        void Flush()
        {
            if (command is not null)
            {
                examples.Add(new DocExample(commandLine, command, [.. expected]));
            }

            command = null;
            expected.Clear();
        }

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                console = !inFence && line[3..].Trim() == "console";
                inFence = !inFence;
            }
            else if (console && line.StartsWith("$ ", StringComparison.Ordinal))
            {
                Flush();
                command = line[2..];
                commandLine = i + 1;
            }
            else if (console && command is not null)
            {
                expected.Add(line);
            }
        }

        return examples;
    }

    /// <summary>Null when <paramref name="actual"/> is what <paramref name="shown"/> shows (timings masked, <c>…</c> matching any lines); else what differs.</summary>
    public static string? Mismatch(IReadOnlyList<string> shown, string actual)
    {
        string[] got = actual.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        if (actual.Length == 0)
        {
            got = [];
        }

        string[] want = [.. shown.Select(Mask)];
        got = [.. got.Select(Mask)];
        return Match(want, 0, got, 0) ? null : FirstDifference(want, got);
    }

    /// <summary>Timings and rates, the only parts of an output allowed to differ from run to run.</summary>
    internal static string Mask(string line)
    {
        string masked = RateRegex().Replace(line.TrimEnd(), "<rate>");
        return TimeRegex().Replace(masked, "<time>");
    }

    private static bool Match(string[] want, int w, string[] got, int g)
    {
        if (w == want.Length)
        {
            return g == got.Length;
        }

        if (want[w].Trim() == Elision)
        {
            for (int skip = g; skip <= got.Length; skip++)
            {
                if (Match(want, w + 1, got, skip))
                {
                    return true;
                }
            }

            return false;
        }

        return g < got.Length && want[w] == got[g] && Match(want, w + 1, got, g + 1);
    }

    private static string FirstDifference(string[] want, string[] got)
    {
        int g = 0;
        for (int w = 0; w < want.Length; w++)
        {
            if (want[w].Trim() == Elision)
            {
                return $"the output after the shown line {w} differs (shown: {string.Join(" | ", want.Skip(w + 1).Take(3))})";
            }

            if (g >= got.Length)
            {
                return $"shown line {w + 1} '{want[w]}' is missing";
            }

            if (want[w] != got[g])
            {
                return $"shown line {w + 1}: '{want[w]}', actual '{got[g]}'";
            }

            g++;
        }

        return $"the tool prints {got.Length - g} more lines than shown, from '{got[g]}'";
    }

    [GeneratedRegex(@"\d[\d,]*(\.\d+)? rows/s")]
    private static partial Regex RateRegex();

    [GeneratedRegex(@"\d+(\.\d+)? (s|ms)\b")]
    private static partial Regex TimeRegex();
}
