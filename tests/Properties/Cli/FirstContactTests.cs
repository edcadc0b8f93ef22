using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Properties.Training;
using Backprop.Training;

namespace Backprop.Properties.Cli;

/// <summary>
/// The tool as people first meet it: usage lines say <c>backprop</c>, typos get a suggestion, the
/// tool rolls forward to newer runtimes, <c>predict</c> and <c>evaluate</c> name the shipped stairs
/// data, and <c>--metrics</c> writes what the epochs reported.
/// </summary>
public sealed class FirstContactTests : IDisposable
{
    private static readonly string[] Sets = ["train", "test"];
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData("--help")]
    [InlineData("train --help")]
    [InlineData("evaluate --help")]
    [InlineData("predict --help")]
    [InlineData("gradcheck -h")]
    [InlineData("")]
    public void EveryUsageLineSaysBackprop(string commandLine)
    {
        CliResult r = CliHarness.Run(null, commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, r.Code);
        string[] lines = r.Out.Split('\n');
        int usage = Array.FindIndex(lines, l => l.StartsWith("Usage:", StringComparison.Ordinal));
        Assert.True(usage >= 0, r.Out);
        Assert.StartsWith("  backprop", lines[usage + 1], StringComparison.Ordinal);
        Assert.DoesNotContain("Backprop.Cli", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("testhost", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trian", "train", "")]
    [InlineData("evalute", "evaluate", "")]
    [InlineData("perdict", "predict", "")]
    [InlineData("--epoch", "--epochs", " train")]
    [InlineData("--learnig-rate", "--learning-rate", " train")]
    [InlineData("--lear", "--learning-rate", " train")]
    [InlineData("--valdation-split", "--validation-split", " train")]
    public void AMistypedCommandOrOptionGetsASuggestion(string typed, string meant, string command)
    {
        string[] args = command.Length == 0 ? [typed] : [command.Trim(), typed, "1"];
        CliResult r = CliHarness.Run(null, args);
        CliHarness.AssertError(r, ExitCodes.Usage, typed);
        Assert.Contains($"did you mean '{meant}'?", r.Error, StringComparison.Ordinal);
        Assert.Contains($"(see 'backprop{command} --help')", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingCloseGetsNoSuggestion()
    {
        CliResult r = CliHarness.Run(null, "train", "--zzzzzzzz");
        CliHarness.AssertError(r, ExitCodes.Usage, "far typo");
        Assert.DoesNotContain("did you mean", r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trian", "train", 1)]
    [InlineData("train", "train", 0)]
    [InlineData("abc", "abd", 1)]
    [InlineData("abc", "", 3)]
    [InlineData("kitten", "sitting", 3)]
    public void EditDistanceCountsTranspositionsAsOne(string a, string b, int expected)
    {
        Assert.Equal(expected, CliApp.Distance(a, b));
        Assert.Equal(expected, CliApp.Distance(b, a));
    }

    [Fact]
    public void TheToolRollsForwardToNewerRuntimes()
    {
        string config = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.runtimeconfig.json");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(config));
        Assert.Equal("LatestMajor", json.RootElement.GetProperty("runtimeOptions").GetProperty("rollForward").GetString());
    }

    /// <summary><c>predict MODEL stairs</c> reads the shipped test set: the same lines as naming its file.</summary>
    [Fact]
    public void PredictNamesTheStairsTestSet()
    {
        string model = _h.PathOf("stairs.bpm");
        Assert.Equal(0, CliHarness.Run(null, "train", "-q", "-o", model, "--epochs", "20").Code);
        CliResult byName = CliHarness.Run(null, "predict", model, "stairs", "--id", "ImageId");
        CliResult byFile = CliHarness.Run(null, "predict", model, Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "test.csv"), "--id", "ImageId");
        Assert.Equal(0, byName.Code);
        Assert.Equal(byFile.Out, byName.Out);
        Assert.Equal(101, byName.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        CliResult evaluate = CliHarness.Run(null, "evaluate", model, "--data", "stairs");
        Assert.Equal(0, evaluate.Code);
        Assert.Contains("(100 rows)", evaluate.Out, StringComparison.Ordinal);
    }

    /// <summary>The CSV has the documented columns and one row per epoch holding the numbers the trainer reported (recomputed here by a second, identical library run).</summary>
    [Fact]
    public void MetricsCsvHoldsEveryEpochAsTheLibraryReportsIt()
    {
        string csv = _h.PathOf("m.csv");
        string json = _h.PathOf("m.json");
        string[] common = ["train", "--data", _h.TrainCsv, "--test", _h.TestCsv, "--hidden", "3", "--epochs", "4", "--threads", "1", "--scaling", "none", "--element-type", "double", "-q"];
        CliResult r = CliHarness.Run(null, [.. common, "-o", _h.PathOf("a.bpm"), "--metrics", csv]);
        Assert.True(r.Code == 0, r.Error);
        Assert.Equal(0, CliHarness.Run(null, [.. common, "-o", _h.PathOf("b.bpm"), "--metrics", json]).Code);
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal("epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,seconds", lines[0]);
        Assert.Equal(5, lines.Length);

        // The same run through the library: the test set as the held-out set, same seed and options.
        var data = Backprop.Training.Data.CsvLoader.Load<double>(_h.TrainCsv, new() { });
        var test = Backprop.Training.Data.CsvLoader.Load<double>(_h.TestCsv, new() { ClassLabels = data.ClassLabels, ClassNames = data.ClassNames, FeatureColumns = data.FeatureNames });
        var shape = new NetworkShape([data.FeatureCount, 3, data.ClassCount], HiddenActivation.Relu);
        var network = new Network<double>(shape);
        network.InitializeHeUniform(1);
        using var trainer = new Trainer<double>(network, new AdamOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 32, Epochs = 4, Seed = 1, Shuffle = true, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(0.001) });
        var expected = new List<EpochMetrics>();
        trainer.Fit(data.ToDataset(), test.ToDataset(), expected.Add);
        for (int e = 0; e < 4; e++)
        {
            double[] v = [.. lines[e + 1].Split(',').Select(c => double.Parse(c, CultureInfo.InvariantCulture))];
            Assert.Equal(e + 1, v[0]);
            Assert.Equal(expected[e].LearningRate, v[1]);
            Assert.Equal(expected[e].TrainingLoss, v[2]);
            Assert.Equal(expected[e].TrainingAccuracy, v[3]);
            Assert.Equal(expected[e].ValidationLoss, v[4]);
            Assert.Equal(expected[e].ValidationAccuracy, v[5]);
            Assert.True(v[6] >= 0);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("test", doc.RootElement.GetProperty("held_out").GetString());
        JsonElement[] epochs = [.. doc.RootElement.GetProperty("epochs").EnumerateArray()];
        Assert.Equal(4, epochs.Length);
        Assert.Equal(expected[3].TrainingLoss, epochs[3].GetProperty("train_loss").GetDouble());
        Assert.Equal(expected[3].ValidationAccuracy, epochs[3].GetProperty("test_accuracy").GetDouble());
        _h.AssertInputsUnchanged("metrics");
    }

    /// <summary>Every run with a test set shows its loss and accuracy per epoch, not only the training numbers.</summary>
    [Fact]
    public void ProgressShowsTheHeldOutSetEveryEpoch()
    {
        CliResult r = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--test", _h.TestCsv, "--epochs", "3", "--threads", "1", "-o", _h.PathOf("p.bpm"));
        Assert.Equal(0, r.Code);
        Assert.Contains("  epoch   train loss  train acc  test loss   test acc       time", r.Out, StringComparison.Ordinal);
        string[] rows = [.. r.Out.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^ +\d+ +\d+\.\d{4} "))];
        Assert.Equal(3, rows.Length);
        Assert.All(rows, l => Assert.Equal(6, l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1));
        Assert.DoesNotContain("\r", r.Out, StringComparison.Ordinal); // redirected: no live line

        CliResult v = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--validation-split", "0.2", "--epochs", "2", "--threads", "1", "-o", _h.PathOf("q.bpm"));
        Assert.Contains("  epoch   train loss  train acc   val loss    val acc       time", v.Out, StringComparison.Ordinal);
    }

    /// <summary>plot: the PNG decodes to the documented size, and the curves it draws are the CSV's numbers, point for point.</summary>
    [Fact]
    public void PlotDrawsTheCsvsPointsAndAConfusionMatrix()
    {
        string csv = _h.PathOf("p.csv");
        string png = _h.PathOf("p.png");
        CliResult t = CliHarness.Run(null, "train", "--data", _h.TrainCsv, "--test", _h.TestCsv, "--epochs", "7", "--threads", "1", "-q", "-o", _h.PathOf("p.bpm"), "--metrics", csv);
        Assert.True(t.Code == 0, t.Error);
        CliResult r = CliHarness.Run(null, "plot", csv, "--model", _h.PathOf("p.bpm"), "--data", _h.TestCsv, "-o", png);
        Assert.True(r.Code == 0, r.Error);
        Assert.StartsWith($"Plotted:   {png} (7 epochs, confusion matrix on ", r.Out, StringComparison.Ordinal);

        using SkiaSharp.SKBitmap image = SkiaSharp.SKBitmap.Decode(png);
        Assert.NotNull(image);
        Assert.Equal(3 * PlotCommand.PanelWidth, image.Width);
        Assert.Equal(PlotCommand.Height, image.Height);
        Assert.True(image.Pixels.Distinct().Count() > 10, "a blank image");

        // The points drawn, against the CSV parsed here.
        string[] lines = File.ReadAllLines(csv);
        string[] header = lines[0].Split(',');
        double[] Column(string name) => [.. lines.Skip(1).Select(l => double.Parse(l.Split(',')[Array.IndexOf(header, name)], CultureInfo.InvariantCulture))];
        ScottPlot.Multiplot figure = PlotCommand.Draw(MetricsTable.Load(csv), null);
        Assert.Equal(2, ScottPlot.IMultiplotExtensions.Count(figure));
        string[] panels = ["loss", "accuracy"];
        for (int p = 0; p < 2; p++)
        {
            ScottPlot.Plottables.Scatter[] lines2 = [.. ScottPlot.IMultiplotExtensions.GetPlot(figure, p).GetPlottables().OfType<ScottPlot.Plottables.Scatter>()];
            Assert.Equal(2, lines2.Length);
            foreach ((ScottPlot.Plottables.Scatter s, string set) in lines2.Zip(Sets))
            {
                ScottPlot.Coordinates[] points = [.. s.Data.GetScatterPoints()];
                Assert.Equal(Column("epoch"), points.Select(c => c.X));
                Assert.Equal(Column(set + "_" + panels[p]), points.Select(c => c.Y));
            }
        }

        CliResult bad = CliHarness.Run(null, "plot", _h.TrainCsv, "-o", _h.PathOf("bad.png"));
        CliHarness.AssertError(bad, ExitCodes.InvalidData, "plot of a non-metrics file");
        Assert.False(File.Exists(_h.PathOf("bad.png")));
        _h.AssertInputsUnchanged("plot");
    }

    /// <summary>The live line's arithmetic: 150 of 300 steps (100 per epoch, 1,000 rows per epoch) after 3 s is epoch 2 half done, 50,000 rows/s, 1 s left in the epoch and 3 s in the run.</summary>
    [Fact]
    public void TheLiveLineShowsTheEpochUnderWayItsRateAndBothEtas()
    {
        using var progress = new Progress(TextWriter.Null, live: false, epochs: 3, every: 1, heldOut: "test", quiet: false, stepsPerEpoch: 100, rowsPerEpoch: 1000, steps: () => 0);
        var last = new EpochMetrics(1, 100, 0.1, 0.5, 0.75, 0.6, 0.7);
        string text = progress.LiveText(150, 0.03, last);
        Assert.Equal("epoch 2/3 [##########..........]  50%  50,000 rows/s  epoch ETA 0.0 s  run ETA 0.0 s  loss 0.5000  acc 0.7500  test acc 0.7000", text);
        string slow = progress.LiveText(150, 300, last);
        Assert.Contains("epoch ETA 1m40s  run ETA 5m00s", slow, StringComparison.Ordinal);
        Assert.Contains(" 5 rows/s", slow, StringComparison.Ordinal);
        Assert.StartsWith("epoch 1/3 [....................]   0%  0 rows/s  epoch ETA ?  run ETA ?", progress.LiveText(0, 0.5, default), StringComparison.Ordinal);
        Assert.Equal("1h02m", Progress.Eta(3725));
    }
}
