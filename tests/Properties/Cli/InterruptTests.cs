using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Cli;
using Backprop.Properties.Support;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// Ctrl+C during <c>train</c>, as a real SIGINT to the tool running as a child process: it stops
/// after the current step, exits 130, and with <c>--output</c> named saves the model of the last
/// completed epoch — byte for byte the model a run of exactly that many epochs saves — and the
/// metrics of those epochs; without <c>--output</c> it saves nothing and says how to keep it.
/// </summary>
public sealed partial class InterruptTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void SigintSavesTheLastCompletedEpochAtomically()
    {
        if (!HostileFiles.Supported)
        {
            return; // needs kill(1)
        }

        string target = _h.PathOf("interrupted.bpm");
        string metrics = _h.PathOf("interrupted.csv");
        string[] options = ["train", "--data", _h.TrainCsv, "--hidden", "300,300", "--batch-size", "4", "--epochs", "100000", "--threads", "1", "--progress-every", "1"];
        (int code, string text) = RunAndInterrupt([.. options, "-o", target, "--metrics", metrics], _h.Folder);
        output.WriteLine(text);
        Assert.Equal(ExitCodes.Interrupted, code);
        Match m = SavedRegex().Match(text);
        Assert.True(m.Success, text);
        int epochs = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(epochs, 1, 99_999);
        Assert.Contains($"Saved:     {target}", text, StringComparison.Ordinal);

        // The same options for exactly that many epochs (in-process): the same file byte for byte.
        string reference = _h.PathOf("reference.bpm");
        string[] referenceArgs = [.. options.Select(a => a == "100000" ? epochs.ToString(CultureInfo.InvariantCulture) : a), "-q", "-o", reference];
        CliResult r = CliHarness.Run(null, referenceArgs);
        Assert.True(r.Code == 0, r.Error);
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(target));
        Assert.Equal(epochs + 1, File.ReadAllLines(metrics).Length);
        _h.AssertNoTemporaryFiles("after SIGINT");
        _h.AssertInputsUnchanged("after SIGINT");
    }

    [Fact]
    public void SigintWithoutAnOutputSavesNothing()
    {
        if (!HostileFiles.Supported)
        {
            return;
        }

        (int code, string text) = RunAndInterrupt(["train", "--data", _h.TrainCsv, "--hidden", "300,300", "--batch-size", "4", "--epochs", "100000", "--threads", "1", "--progress-every", "1"], _h.Folder);
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.Contains("the model was not saved (name an --output to keep the last completed epoch on Ctrl+C)", text, StringComparison.Ordinal);
        Assert.False(File.Exists(_h.PathOf("train.bpm")));
    }

    /// <summary>
    /// The library side (Trainer.Fit): a cancellation inside an epoch stops right after the step
    /// that saw it — not at the end of the epoch — and leaves the parameters of the last completed
    /// epoch, equal to those of a run of exactly that many epochs.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(250)]
    [InlineData(300)]
    public void FitStopsAfterTheStepAndKeepsTheLastCompletedEpoch(int cancelAtStep)
    {
        const int Steps = 50; // 200 rows, batch 4
        var random = new Random(5);
        double[] features = [.. Enumerable.Range(0, 200 * 3).Select(_ => random.NextDouble() * 2 - 1)];
        int[] labels = [.. Enumerable.Range(0, 200).Select(i => i % 2)];
        var data = new Backprop.Training.Dataset<double>(features, labels, featureCount: 3, classCount: 2);
        var shape = new Backprop.Training.NetworkShape([3, 8, 2], Backprop.Training.HiddenActivation.Tanh);
        var options = new Backprop.Training.TrainerOptions { BatchSize = 4, Epochs = 100, Seed = 3, LearningRate = Backprop.Training.LearningRateSchedule.Constant(0.05) };

        using var cancel = new CancellationTokenSource();
        var network = new Backprop.Training.Network<double>(shape, seed: 2);
        var optimizer = new CancellingSgd(shape.ParameterCount, cancel, cancelAtStep);
        using var trainer = new Backprop.Training.Trainer<double>(network, optimizer, options);
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(data, null, null, cancel.Token));
        Assert.Equal(cancelAtStep, trainer.StepCount);
        int completed = trainer.CompletedEpochs;
        Assert.Equal((cancelAtStep - 1) / Steps, completed);

        var reference = new Backprop.Training.Network<double>(shape, seed: 2);
        using (var again = new Backprop.Training.Trainer<double>(reference, new CancellingSgd(shape.ParameterCount, null, 0), options with { Epochs = Math.Max(1, completed) }))
        {
            if (completed > 0)
            {
                again.Fit(data);
            }
        }

        Assert.Equal(reference.Parameters.ToArray(), network.Parameters.ToArray());
    }

    /// <summary>Plain SGD that cancels <c>source</c> during its step number <c>at</c>.</summary>
    private sealed class CancellingSgd(int parameters, CancellationTokenSource? source, int at) : Backprop.Training.Optimizer<double>(parameters)
    {
        protected override void Apply(Span<double> parameters, ReadOnlySpan<double> gradients, double learningRate, long stepNumber)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i] -= learningRate * gradients[i];
            }

            if (stepNumber == at)
            {
                source?.Cancel();
            }
        }
    }

    /// <summary>Starts the tool, waits for its first epoch line, sends SIGINT, and returns the exit code and everything it printed.</summary>
    private static (int Code, string Text) RunAndInterrupt(string[] args, string folder)
    {
        Assert.False(
            SigintIgnored(),
            "SIGINT is ignored in this test process (e.g. the test run was started with '&' from a non-interactive shell), and a child "
            + "inherits that: the tool would never see the Ctrl+C this test sends and would train to the end. Run the tests in the foreground.");
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process child = Process.Start(start)!;
        var text = new System.Text.StringBuilder();
        Task<string> errors = child.StandardError.ReadToEndAsync();
        while (child.StandardOutput.ReadLine() is string line)
        {
            text.AppendLine(line);
            if (line.StartsWith("      2 ", StringComparison.Ordinal))
            {
                using Process kill = Process.Start("kill", ["-INT", child.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
                break;
            }
        }

        text.Append(child.StandardOutput.ReadToEnd());
        if (!child.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            child.Kill();
            throw new TimeoutException("the tool did not stop after SIGINT:\n" + text);
        }

        text.Append(errors.Result);
        return (child.ExitCode, text.ToString());
    }

    /// <summary>Whether this process ignores SIGINT (Linux: bit 1 of the SigIgn mask in /proc/self/status; false elsewhere).</summary>
    private static bool SigintIgnored()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
        {
            return false;
        }

        string? line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x2) != 0;
    }

    [GeneratedRegex(@"Interrupted after (?<n>\d+) completed epochs? \([^)]*\); saving the model of epoch \k<n>\.")]
    private static partial Regex SavedRegex();
}
