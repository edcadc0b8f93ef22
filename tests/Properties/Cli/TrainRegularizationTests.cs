using System.Globalization;
using System.Text;
using Backprop.Cli;

namespace Backprop.Properties.Cli;

/// <summary><c>train</c>'s regularisation options: warm-up, weight decay, label smoothing, dropout and early stopping.</summary>
public sealed class TrainRegularizationTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData("--label-smoothing 1", "--label-smoothing 1")]
    [InlineData("--label-smoothing -0.1", "--label-smoothing -0.1")]
    [InlineData("--dropout 1", "--dropout 1")]
    [InlineData("--dropout NaN", "--dropout NaN")]
    [InlineData("--warmup -1", "--warmup -1")]
    [InlineData("--warmup 2 --epochs 2", "fewer warm-up epochs than the 2 epochs")]
    [InlineData("--early-stopping 0 --validation-split 0.2", "--early-stopping 0")]
    [InlineData("--early-stopping 3", "--early-stopping needs --validation-split")]
    [InlineData("--weight-decay -1", "--weight-decay -1")]
    public void BadValuesAreUsageErrorsAndNothingIsSaved(string options, string message)
    {
        string model = _h.PathOf("bad.bpm");
        CliResult r = CliHarness.Run(null, ["train", "--data", _h.TrainCsv, "-q", "-o", model, .. options.Split(' ')]);
        CliHarness.AssertError(r, ExitCodes.Usage, options);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
        _h.AssertInputsUnchanged(options);
    }

    /// <summary>All the options at once: named in the Training line, and the model file is byte-identical for 1 and 2 threads (dropout's mask does not depend on the split) but not for another seed.</summary>
    [Fact]
    public void RegularisedTrainingIsReproducibleForEveryThreadCount()
    {
        string csv = Wide();
        string[] options = ["train", "--data", csv, "--hidden", "256", "--epochs", "3", "--batch-size", "100", "--label-smoothing", "0.1", "--dropout", "0.3", "--warmup", "0.5", "--weight-decay", "0.01", "-q"];
        CliResult one = CliHarness.Run(null, [.. options, "--threads", "1", "-o", _h.PathOf("one.bpm")]);
        CliResult two = CliHarness.Run(null, [.. options, "--threads", "2", "-o", _h.PathOf("two.bpm")]);
        CliResult seed = CliHarness.Run(null, [.. options, "--threads", "1", "--seed", "2", "-o", _h.PathOf("seed.bpm")]);
        Assert.True(one.Code == 0, one.Error);
        Assert.True(two.Code == 0, two.Error);
        Assert.True(seed.Code == 0, seed.Error);
        Assert.Contains("warm-up 2 steps, weight decay 0.01, label smoothing 0.1, dropout 0.3", one.Out, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(_h.PathOf("one.bpm")), File.ReadAllBytes(_h.PathOf("two.bpm")));
        Assert.NotEqual(File.ReadAllBytes(_h.PathOf("one.bpm")), File.ReadAllBytes(_h.PathOf("seed.bpm")));
    }

    /// <summary>Early stopping stops before the epoch limit, says which epoch it kept, and that epoch's validation accuracy is what the saved model scores on the validation rows.</summary>
    [Fact]
    public void EarlyStoppingKeepsTheBestEpoch()
    {
        string model = _h.PathOf("early.bpm");
        CliResult r = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--hidden", "8", "--epochs", "400", "--learning-rate", "0.05", "--validation-split", "0.3", "--early-stopping", "3", "--threads", "1", "-q", "-o", model);
        Assert.True(r.Code == 0, r.Error + r.Out);
        Assert.Contains("early stopping after 3", r.Out, StringComparison.Ordinal);
        string line = r.Out.Split('\n').Single(l => l.StartsWith("Stopped early; kept epoch ", StringComparison.Ordinal));
        int kept = int.Parse(line.Split(' ')[4], CultureInfo.InvariantCulture);
        int ran = int.Parse(r.Out.Split('\n').Single(l => l.StartsWith("Trained ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.Equal(kept + 3, ran);
        string best = line[(line.IndexOf("accuracy ", StringComparison.Ordinal) + 9)..].TrimEnd(')', '.', '\r');
        string validation = r.Out.Split('\n').Single(l => l.StartsWith("Validation accuracy:", StringComparison.Ordinal));
        Assert.Contains(best, validation, StringComparison.Ordinal);
        Assert.True(File.Exists(model));
    }

    private string Wide()
    {
        string csv = _h.PathOf("wide.csv");
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, 64).Select(i => $"f{i}")) + ",label\n");
        var random = new Random(5);
        for (int r = 0; r < 300; r++)
        {
            double[] x = [.. Enumerable.Range(0, 64).Select(_ => random.NextDouble() - 0.5)];
            text.Append(string.Join(',', x.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append(',').Append(x.Take(8).Sum() > 0 ? "up" : "down").Append('\n');
        }

        File.WriteAllText(csv, text.ToString());
        return csv;
    }
}
