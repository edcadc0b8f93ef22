using System.Globalization;
using System.Text;
using Backprop.Cli;
using Backprop.Training;
using Backprop.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// The guards behind <c>predict</c>, <c>evaluate</c> and <c>train</c> that are not about paths: an
/// atomic <c>predict -o</c>, headers that do not name the model's features, batch sizes that cannot
/// overflow, non-finite probabilities, many classes, and a diverging run that saves nothing.
/// </summary>
public sealed class PredictAndEvaluateGuardTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>The refusals docs/CLI.md quotes: the same-file message word for word, /dev/null, --threads 100000, -o ''.</summary>
    [Fact]
    public void TheDocumentedRefusalsAreAsDocumented()
    {
        string input = _h.TestCsv;
        CliResult same = CliHarness.Run(null, "predict", _h.Model, input, "-o", input);
        CliHarness.AssertError(same, ExitCodes.Usage, "same file");
        Assert.Equal($"error: --output {input}: it is the same file as the input {input}; refusing to overwrite an input.", same.ErrorLines[0]);
        if (OperatingSystem.IsLinux())
        {
            CliHarness.AssertError(CliHarness.Run(null, "predict", _h.Model, input, "-o", "/dev/null"), ExitCodes.Usage, "/dev/null");
            CliHarness.AssertError(CliHarness.Run(null, "train", "--data", _h.TrainCsv, "-o", "/dev/null"), ExitCodes.Usage, "/dev/null");
            Assert.Equal("character special file", Support.HostileFiles.Kind("/dev/null"));
        }

        CliResult threads = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--threads", "100000", "-o", _h.PathOf("t.bpm"));
        CliHarness.AssertError(threads, ExitCodes.Usage, "--threads 100000");
        Assert.Contains("--threads 100000: expected 1 to", threads.Error, StringComparison.Ordinal);
        CliHarness.AssertError(CliHarness.Run(null, "train", "--data", _h.TrainCsv, "-o", string.Empty), ExitCodes.Usage, "-o ''");
        CliHarness.AssertError(CliHarness.Run(null, "train", "--data", _h.TrainCsv, "-o", _h.PathOf("no/dir/m.bpm")), ExitCodes.FileProblem, "missing folder");
        // 2.1·10⁹ double parameters: 85 GB of training buffers, refused before any is allocated.
        if (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes < 60_000_000_000)
        {
            CliResult memory = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--hidden", "46000,46000", "--element-type", "double", "-o", _h.PathOf("huge.bpm"));
            CliHarness.AssertError(memory, ExitCodes.OutOfMemory, "huge network");
            Assert.Contains("not enough memory: the network 5-46000-46000-2 Relu", memory.Error, StringComparison.Ordinal);
        }

        _h.AssertInputsUnchanged("documented refusals");
    }

    /// <summary>Seeded: a good output exists; a new input has a bad row after a random number (up to 1000) of good ones. The old output survives byte for byte.</summary>
    [Fact]
    public void PredictToAFileIsAtomic()
    {
        var random = new Random(5);
        string outputPath = _h.PathOf("predictions.csv");
        Assert.Equal(0, CliHarness.Run(null, "predict", _h.Model, _h.TestCsv, "-o", outputPath).Code);
        byte[] good = File.ReadAllBytes(outputPath);
        Assert.StartsWith("class,", Encoding.UTF8.GetString(good), StringComparison.Ordinal);
        string[] rows = File.ReadAllLines(_h.TestCsv);
        for (int i = 0; i < 10; i++)
        {
            int before = random.Next(0, 1000);
            var text = new StringBuilder(rows[0]).Append('\n');
            for (int row = 0; row < before; row++)
            {
                text.Append(rows[1 + random.Next(rows.Length - 1)]).Append('\n');
            }

            text.Append(random.Next(3) switch { 0 => "1,2,3\n", 1 => "1,2,x,4,5,6\n", _ => "1,2,3,4,1e999,0\n" });
            string bad = _h.PathOf($"bad{i}.csv");
            File.WriteAllText(bad, text.ToString());
            CliResult r = CliHarness.Run(null, "predict", _h.Model, bad, "-o", outputPath);
            CliHarness.AssertError(r, ExitCodes.InvalidData, $"bad row after {before} rows");
            Assert.Equal(good, File.ReadAllBytes(outputPath));
            _h.AssertNoTemporaryFiles($"bad row after {before} rows");
        }
    }

    /// <summary>Generated headers that miss at least one of the model's feature names are refused (naming them), not read by position; with all names, in any order and among other columns, rows are read by name.</summary>
    [Fact]
    public void AHeaderMustNameTheModelsFeatures()
    {
        var random = new Random(11);
        string[] features = [.. ModelFile.Load(_h.Model).FeatureNames];
        Assert.Equal(5, features.Length); // ImageId, R1C1, R1C2, R2C1, R2C2 (the harness trains without --ignore)
        string expected = CliHarness.Run(null, "predict", _h.Model, _h.TestCsv).Out;
        for (int i = 0; i < 40; i++)
        {
            // Columns: the features in a random order, some replaced by other names, plus extra columns.
            var names = features.OrderBy(_ => random.Next()).ToList();
            bool complete = random.Next(2) == 0;
            if (!complete)
            {
                int k = random.Next(names.Count);
                names[k] = random.Next(2) == 0 ? names[k].ToLowerInvariant() : "x" + k;
            }

            int extra = random.Next(0, 3);
            for (int e = 0; e < extra; e++)
            {
                names.Insert(random.Next(names.Count + 1), "extra" + e);
            }

            string[] original = File.ReadAllLines(_h.TestCsv);
            string[] header = original[0].Split(',');
            var text = new StringBuilder(string.Join(',', names)).Append('\n');
            foreach (string line in original.Skip(1))
            {
                string[] cells = line.Split(',');
                text.AppendJoin(',', names.Select(n => Array.IndexOf(header, n) is int c and >= 0 ? cells[c] : "7")).Append('\n');
            }

            CliResult r = CliHarness.Run(text.ToString(), "predict", _h.Model);
            if (complete)
            {
                Assert.Equal(0, r.Code);
                Assert.Equal(expected, r.Out);
            }
            else
            {
                CliHarness.AssertError(r, ExitCodes.InvalidData, string.Join(',', names));
                Assert.Contains("feature column(s)", r.Error, StringComparison.Ordinal); // this tool's refusal, or the reader's when the other columns are not as many as the features
            }
        }

        // Headerless rows in the model's order are the documented way to go by position.
        string[] data = File.ReadAllLines(_h.TestCsv);
        string headerless = string.Join('\n', data.Skip(1).Select(l => string.Join(',', l.Split(',')[..5]))) + "\n";
        CliResult positional = CliHarness.Run(headerless, "predict", _h.Model, "--header", "no");
        Assert.Equal(0, positional.Code);
        Assert.Equal(expected, positional.Out);
    }

    /// <summary>Generated column orders with extra columns, with and without --ignore: evaluate picks the model's features by name, so the loss is the same as on the original file.</summary>
    [Fact]
    public void EvaluateReadsFeaturesByNameWhateverTheColumnOrder()
    {
        var random = new Random(13);
        string expected = Loss(CliHarness.Run(null, "evaluate", _h.Model, "--data", _h.TestCsv));
        string[] original = File.ReadAllLines(_h.TestCsv);
        string[] header = original[0].Split(',');
        for (int i = 0; i < 8; i++)
        {
            List<string> names = [.. header.OrderBy(_ => random.Next())];
            names.Insert(random.Next(names.Count + 1), "note");
            var text = new StringBuilder(string.Join(',', names)).Append('\n');
            foreach (string line in original.Skip(1))
            {
                string[] cells = line.Split(',');
                text.AppendJoin(',', names.Select(n => n == "note" ? "9" : cells[Array.IndexOf(header, n)])).Append('\n');
            }

            string path = _h.PathOf($"shuffled{i}.csv");
            File.WriteAllText(path, text.ToString());
            string[] args = random.Next(2) == 0 ? ["evaluate", _h.Model, "--data", path, "--label", "IsStairs", "--ignore", "note"] : ["evaluate", _h.Model, "--data", path, "--label", "IsStairs"];
            CliResult r = CliHarness.Run(null, args);
            Assert.True(r.Code == 0, $"{string.Join(',', names)}: {r.Error}");
            Assert.Equal(expected, Loss(r));
        }
    }

    private static string Loss(CliResult r) => r.Out.Split('\n').Single(l => l.StartsWith("Loss:", StringComparison.Ordinal));

    /// <summary>The batch of predict never needs an array longer than int allows, however wide the model (the shapes alone, no allocation).</summary>
    [Fact]
    public void PredictBatchBuffersCannotOverflow()
    {
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            int inputs = random.Next(2) == 0 ? random.Next(1, 1000) : random.Next(1, int.MaxValue / 4);
            int outputs = random.Next(2, (int)Math.Clamp(2_000_000_000L / (inputs + 1), 3, random.Next(2) == 0 ? 10 : 1_000_000));
            var shape = new NetworkShape([inputs, outputs]);
            int rows = PredictCommand.BatchRows(shape);
            Assert.InRange(rows, 1, 256);
            long widest = Math.Max(inputs, outputs);
            Assert.True((long)rows * widest <= Math.Max(PredictCommand.MaxBatchElements, widest), $"{inputs}-{outputs}: {rows} rows");
            Assert.True(rows == 256 || (long)(rows + 1) * widest > PredictCommand.MaxBatchElements);
        }
    }

    /// <summary>Finite weights so large that the logits overflow: predict and evaluate say so (exit 4) instead of printing NaN.</summary>
    [Theory]
    [InlineData("float", 3e38)]
    [InlineData("double", 1e306)]
    public void NonFiniteProbabilitiesAreAnError(string type, double weight)
    {
        string path = _h.PathOf($"extreme-{type}.bpm");
        var shape = new NetworkShape([2, 3, 2], HiddenActivation.Relu);
        TrainedModel model = type == "float" ? Extreme<float>(shape, weight) : Extreme<double>(shape, weight);
        ModelFile.Save(model, path);
        File.WriteAllText(_h.PathOf("x.csv"), "a,b,label\n1e3,1e3,p\n5,7,q\n");
        CliResult predict = CliHarness.Run("a,b\n1e3,1e3\n", "predict", path);
        CliHarness.AssertError(predict, ExitCodes.InvalidData, "predict");
        Assert.Contains("not finite", predict.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN,", predict.Out, StringComparison.Ordinal);
        CliResult evaluate = CliHarness.Run(null, "evaluate", path, "--data", _h.PathOf("x.csv"));
        CliHarness.AssertError(evaluate, ExitCodes.InvalidData, "evaluate");
        Assert.Contains("not finite", evaluate.Error, StringComparison.Ordinal);
    }

    private static TrainedModel<T> Extreme<T>(NetworkShape shape, double weight)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var network = new Network<T>(shape);
        Span<T> p = network.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = T.CreateTruncating(weight); // every logit overflows to +∞, so softmax gives ∞ − ∞ = NaN
        }

        return new TrainedModel<T>(network, null, ["p", "q"], ["p", "q"], ["a", "b"], "extreme");
    }

    /// <summary>A 20,000-class model evaluates with a per-class summary in bounded memory (the full matrix would take 3.2 GB).</summary>
    [Fact]
    public void ManyClassesGiveAPerClassSummaryInBoundedMemory()
    {
        const int classes = 20_000;
        var shape = new NetworkShape([2, classes]);
        var network = new Network<double>(shape, 1);
        string[] labels = [.. Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        string path = _h.PathOf("many.bpm");
        ModelFile.Save(new TrainedModel<double>(network, null, labels, labels, ["a", "b"], "many"), path);
        var random = new Random(2);
        var csv = new StringBuilder("a,b,label\n");
        for (int row = 0; row < 500; row++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{random.NextDouble()},{random.NextDouble()},{random.Next(classes)}\n");
        }

        File.WriteAllText(_h.PathOf("many.csv"), csv.ToString());
        long before = GC.GetAllocatedBytesForCurrentThread();
        CliResult r = CliHarness.Run(null, "evaluate", path, "--data", _h.PathOf("many.csv"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"evaluate of a {classes}-class model: {allocated / 1e6:F1} MB allocated, {r.Out.Split('\n').Length} lines");
        Assert.Equal(0, r.Code);
        Assert.Contains("Per class (20000 classes", r.Out, StringComparison.Ordinal);
        Assert.True(allocated < 300_000_000, $"{allocated:N0} bytes");
        Assert.True(r.Out.Split('\n').Length <= 1020, "at most one line per class present in the data or the predictions");

        // And a small model still prints the full matrix.
        CliResult small = CliHarness.Run(null, "evaluate", _h.Model, "--data", _h.TestCsv);
        Assert.Equal(0, small.Code);
        Assert.Contains("Confusion matrix", small.Out, StringComparison.Ordinal);
    }

    /// <summary>An exploding run (η = 10⁶) stops as diverged with exit 5 and leaves the old model file as it was.</summary>
    [Fact]
    public void ADivergedRunSavesNothing()
    {
        string path = _h.PathOf("keep.bpm");
        File.Copy(_h.Model, path);
        byte[] old = File.ReadAllBytes(path);
        CliResult r = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--optimizer", "sgd", "--learning-rate", "1e6", "--scaling", "none", "--activation", "relu", "--epochs", "50", "--threads", "1", "-q", "-o", path);
        CliHarness.AssertError(r, ExitCodes.Diverged, "η = 1e6");
        Assert.Contains("Training diverged", r.Error, StringComparison.Ordinal);
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.False(File.Exists(_h.PathOf("fresh.bpm")));
        CliResult fresh = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--optimizer", "sgd", "--learning-rate", "1e6", "--scaling", "none", "--epochs", "50", "--threads", "1", "-q", "-o", _h.PathOf("fresh.bpm"));
        Assert.Equal(ExitCodes.Diverged, fresh.Code);
        Assert.False(File.Exists(_h.PathOf("fresh.bpm")));
    }
}
