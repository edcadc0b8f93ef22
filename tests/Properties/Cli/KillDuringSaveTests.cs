using System.Diagnostics;
using System.Globalization;
using Backprop.Properties.Support;
using Backprop.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// kill -9 during saves: the tool runs as a child process training and saving a 0.7 MB model over the
/// same file, and is killed (SIGKILL): every other run at a seeded random moment between the last line it prints
/// before saving and a little after the save's measured duration, the others as soon as the
/// temporary file appears (plus up to about 2 ms), inside the write. After every kill the target is either the previous complete model byte for byte
/// or a new complete one that loads; temporary files the killed processes left are removed by the next
/// save into the folder. 20 kills in CI; BACKPROP_FUZZ=soak runs 300.
/// </summary>
public sealed class KillDuringSaveTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void KillNineDuringSavesLeavesTheOldOrTheNewModelAndLeftoversGoOnTheNextSave()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        string folder = _h.PathOf("models");
        Directory.CreateDirectory(folder);
        string target = Path.Combine(folder, "big.bpm");
        int seed = HostileFiles.Seed(9);
        var random = new Random(seed);
        int kills = HostileFiles.Soak ? 300 : 20;

        Assert.Equal(0, RunToEnd(target, 0));
        double window = 0;
        for (int i = 1; i <= 2; i++)
        {
            // How long from the last line before the save to the exit: the save window to aim at.
            using Process child = Start(target, i);
            Assert.True(WaitForSaveToStart(child));
            var sw = Stopwatch.StartNew();
            child.WaitForExit();
            window = Math.Max(window, sw.Elapsed.TotalMilliseconds);
            Assert.Equal(0, child.ExitCode);
        }

        int old = 0, replaced = 0, leftovers = 0, finished = 0;
        for (int k = 0; k < kills; k++)
        {
            byte[] before = File.ReadAllBytes(target);
            using Process child = Start(target, k + 3);
            Assert.True(WaitForSaveToStart(child), "the child never reached its save");
            bool exited;
            if (k % 2 == 0)
            {
                // At a random moment from the last line before the save to a little after its usual end.
                exited = child.WaitForExit(TimeSpan.FromMilliseconds(window * 1.2 * random.NextDouble()));
            }
            else
            {
                // As soon as the temporary file appears (polled), plus 0–2 ms: inside the write or the flush.
                exited = WaitForTemporaryFile(child, folder);
                if (!exited)
                {
                    long until = Stopwatch.GetTimestamp() + (random.Next(0, 2000) * Stopwatch.Frequency / 1_000_000);
                    while (Stopwatch.GetTimestamp() < until)
                    {
                        // 0–2 ms, spinning: a sleep would be rounded up to the scheduler's tick.
                    }

                    exited = child.HasExited;
                }
            }

            if (!exited)
            {
                child.Kill(); // SIGKILL on Unix
            }

            child.WaitForExit();
            finished += exited ? 1 : 0;
            byte[] after = File.ReadAllBytes(target);
            if (after.AsSpan().SequenceEqual(before))
            {
                old++;
            }
            else
            {
                TrainedModel model = ModelFile.Deserialize(after, target); // a complete new model, or this throws
                Assert.Equal(4, model.Shape.Inputs);
                replaced++;
            }

            leftovers += Directory.GetFiles(folder).Count(f => AtomicFile.IsTemporaryFileName(Path.GetFileName(f)));
        }

        string[] temporaries = [.. Directory.GetFiles(folder).Where(f => AtomicFile.IsTemporaryFileName(Path.GetFileName(f)))];
        Assert.Equal(0, RunToEnd(target, 1));
        Assert.Equal(["big.bpm"], Directory.GetFiles(folder).Select(Path.GetFileName));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kills} runs killed at random within {window * 1.2:F0} ms of the save starting: {kills - finished} killed, {finished} finished first; target afterwards: {old} the old model, {replaced} a new complete one, 0 damaged; {temporaries.Length} temporary files left by killed saves (counted after each kill: {leftovers}), all removed by the next save"));
        _h.AssertInputsUnchanged("kill test");
    }

    /// <summary>Polls until a temporary file shows in <paramref name="folder"/>; true if the child exited first.</summary>
    private static bool WaitForTemporaryFile(Process child, string folder)
    {
        while (!child.HasExited)
        {
            foreach (string f in Directory.EnumerateFiles(folder))
            {
                if (AtomicFile.IsTemporaryFileName(Path.GetFileName(f)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Waits for the last line printed before the save ("Train accuracy:"); false if the child ended first.</summary>
    private static bool WaitForSaveToStart(Process child)
    {
        while (child.StandardOutput.ReadLine() is string line)
        {
            if (line.StartsWith("Train accuracy:", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private int RunToEnd(string target, int seed)
    {
        using Process child = Start(target, seed);
        child.StandardOutput.ReadToEnd();
        string error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        Assert.True(child.ExitCode == 0, $"child exit {child.ExitCode}: {error}");
        return child.ExitCode;
    }

    private Process Start(string target, int seed)
    {
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true }; // a few lines each: far below a pipe buffer
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll"), "train", "--data", _h.TrainCsv, "--label", "IsStairs", "--ignore", "ImageId", "--hidden", "400,400", "--epochs", "1", "--batch-size", "full", "--threads", "1", "--seed", seed.ToString(CultureInfo.InvariantCulture), "-q", "-o", target })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_TieredCompilation"] = "1";
        return Process.Start(start)!;
    }
}
