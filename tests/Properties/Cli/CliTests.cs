using System.Globalization;
using System.Text;
using Backprop.Cli;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Backprop.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// The command-line tool run in-process (<see cref="CliApp.Run"/> with string writers): train
/// writes a model that evaluate and predict read, and every user error is one line on standard
/// error with a non-zero exit code and no stack trace.
/// </summary>
public sealed class CliTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static string Stairs(string file) => Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", file);

    public void Dispose() => _dir.Dispose();

    private sealed record Result(int Code, string Out, string Error)
    {
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private Result Run(string? stdin, params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        Stream? input = stdin is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        int code = CliApp.Run(args, CliConsole.Redirected(o, e, input));
        output.WriteLine($"$ Backprop.Cli {string.Join(' ', args)}  → exit {code}\n{o}{e}");
        return new Result(code, o.ToString(), e.ToString());
    }

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    /// <summary>The README's first command: the worked example with every default, in textbook numbers.</summary>
    [Fact]
    public void TrainWithNoOptionsIsTheWorkedExample()
    {
        string model = PathOf("stairs.bpm");
        Result r = Run(null, "train", "-o", model);
        Assert.Equal(0, r.Code);
        Assert.Equal(string.Empty, r.Error);
        Assert.Contains("4-2-2 Sigmoid", r.Out, StringComparison.Ordinal);
        Assert.Contains("textbook initialisation", r.Out, StringComparison.Ordinal);
        Assert.Contains("      1       0.6935", r.Out, StringComparison.Ordinal); // the textbook's initial loss
        string[] lines = r.Out.Split('\n');
        Assert.True(lines.Length < 40, $"{lines.Length} lines for 1500 epochs on redirected output");
        Assert.Contains(lines, l => l.StartsWith("   1500 ", StringComparison.Ordinal));
        double test = Accuracy(r.Out, "Test accuracy:");
        Assert.InRange(test, 0.85, 0.91); // the textbook's range
        Assert.InRange(Accuracy(r.Out, "Train accuracy:"), 0.8, 1.0);
        TrainedModel saved = ModelFile.Load(model);
        Assert.Equal(["stairs", "not stairs"], saved.ClassNames);
        Assert.Equal(["R1C1", "R1C2", "R2C1", "R2C2"], saved.FeatureNames);
        Assert.Equal("stairs", saved.Description);
        Assert.Equal(typeof(double), saved.ElementType);
    }

    [Fact]
    public void ATrainedModelIsReadByEvaluateAndPredict()
    {
        string model = PathOf("m.bpm");
        Result train = Run(null, "train", "--epochs", "200", "--element-type", "float", "--scaling", "standardize", "-o", model);
        Assert.Equal(0, train.Code);
        double trainTest = Accuracy(train.Out, "Test accuracy:");

        Result evaluate = Run(null, "evaluate", model);
        Assert.Equal(0, evaluate.Code);
        Assert.Equal(trainTest, Accuracy(evaluate.Out, "Accuracy:"));
        Assert.Contains("Confusion matrix", evaluate.Out, StringComparison.Ordinal);
        int[] counts = ConfusionCounts(evaluate.Out, ["stairs", "not stairs"]);
        Assert.Equal(100, counts.Sum());
        Assert.Equal([47, 53], new[] { counts[0] + counts[1], counts[2] + counts[3] }); // the test set's 47 stairs and 53 others

        Result onCsv = Run(null, "evaluate", model, "--data", Stairs("test.csv"), "--label", "IsStairs");
        Assert.Equal(0, onCsv.Code);
        Assert.Equal(trainTest, Accuracy(onCsv.Out, "Accuracy:"));

        Result predict = Run(null, "predict", model, Stairs("test.csv"), "--id", "ImageId");
        Assert.Equal(0, predict.Code);
        string[] rows = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ImageId,class,p(stairs),p(not stairs)", rows[0].TrimEnd('\r'));
        Assert.Equal(101, rows.Length);
        string[] truth = File.ReadAllLines(Stairs("test.csv"));
        int correct = 0;
        for (int i = 1; i < rows.Length; i++)
        {
            string[] cells = rows[i].TrimEnd('\r').Split(',');
            string[] source = truth[i].Split(',');
            Assert.Equal(source[0], cells[0]);
            double p0 = double.Parse(cells[2], CultureInfo.InvariantCulture), p1 = double.Parse(cells[3], CultureInfo.InvariantCulture);
            Assert.Equal(1, p0 + p1, 1e-5);
            Assert.Equal(p0 >= p1 ? "stairs" : "not stairs", cells[1]);
            correct += (cells[1] == "stairs") == (source[5] == "1") ? 1 : 0;
        }

        Assert.Equal(trainTest, correct / 100.0);

        // Standard input, no header: the features in the model's order.
        Result stdin = Run("252,4,155,175\n82,131,230,100\n", "predict", model);
        Assert.Equal(0, stdin.Code);
        Assert.Equal(3, stdin.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void TrainOnACsvFileWithATestFileAndAValidationSplit()
    {
        string csv = PathOf("xor.csv");
        var text = new StringBuilder("a,b,kind\n");
        var random = new Random(3);
        for (int i = 0; i < 400; i++)
        {
            double a = random.NextDouble() - 0.5, b = random.NextDouble() - 0.5;
            text.Append(CultureInfo.InvariantCulture, $"{a:R},{b:R},{(a * b > 0 ? "same" : "different")}\n");
        }

        File.WriteAllText(csv, text.ToString());
        string model = PathOf("xor.bpm");
        Result r = Run(null, "train", "--data", csv, "--test", csv, "--hidden", "16", "--activation", "tanh", "--epochs", "60", "--validation-split", "0.2", "--seed", "7", "-o", model);
        Assert.Equal(0, r.Code);
        Assert.Contains("320 training rows, 80 validation rows, 400 test rows", r.Out, StringComparison.Ordinal);
        Assert.Contains("val acc", r.Out, StringComparison.Ordinal);
        Assert.True(Accuracy(r.Out, "Test accuracy:") > 0.8, r.Out);
        Assert.Equal(["different", "same"], ModelFile.Load(model).ClassNames);

        // Deterministic: the same seed gives the same model, byte for byte.
        string again = PathOf("xor2.bpm");
        Assert.Equal(0, Run(null, "train", "--data", csv, "--test", csv, "--hidden", "16", "--activation", "tanh", "--epochs", "60", "--validation-split", "0.2", "--seed", "7", "-o", again).Code);
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(again));
    }

    [Fact]
    public void TheModelIsByteIdenticalForEveryThreadCount()
    {
        // 64 features, 256 hidden units, full batches of 300 rows: the products are far above the
        // split threshold (64³ multiply-adds), so --threads 2 and 3 really run on workers.
        string csv = PathOf("wide.csv");
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, 64).Select(i => $"f{i}")) + ",label\n");
        var random = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            text.AppendJoin(',', Enumerable.Range(0, 64).Select(_ => (random.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture)));
            text.Append(CultureInfo.InvariantCulture, $",{random.Next(3)}\n");
        }

        File.WriteAllText(csv, text.ToString());
        byte[]? first = null;
        foreach (string threads in new[] { "1", "2", "3" })
        {
            string model = PathOf($"wide{threads}.bpm");
            Result r = Run(null, "train", "--data", csv, "--hidden", "256", "--epochs", "4", "--batch-size", "full", "--threads", threads, "-q", "-o", model);
            Assert.Equal(0, r.Code);
            Assert.Contains($"{threads} thread", r.Out, StringComparison.Ordinal);
            byte[] bytes = File.ReadAllBytes(model);
            first ??= bytes;
            Assert.Equal(first, bytes);
        }

        AssertUserError(Run(null, "train", "--threads", "0"), ExitCodes.Usage, "--threads 0: expected 1 to");
    }

    [Fact]
    public void GradcheckPassesAndFailsByItsThreshold()
    {
        Result ok = Run(null, "gradcheck");
        Assert.Equal(0, ok.Code);
        Assert.Contains("layer 3 weights", ok.Out, StringComparison.Ordinal);
        Assert.Contains("OK: largest relative difference", ok.Out, StringComparison.Ordinal);

        Result relu = Run(null, "gradcheck", "--activation", "relu", "--layers", "5-7-7-4", "--element-type", "float", "--seed", "3");
        Assert.Equal(0, relu.Code);

        Result strict = Run(null, "gradcheck", "--threshold", "1e-300", "--floor", "1e-300");
        Assert.Equal(1, strict.Code);
        Assert.Contains("FAILED", strict.Out, StringComparison.Ordinal);
        Assert.Single(strict.ErrorLines);

        string model = PathOf("g.bpm");
        Assert.Equal(0, Run(null, "train", "--epochs", "5", "-o", model).Code);
        Assert.Equal(0, Run(null, "gradcheck", "--model", model).Code);
    }

    // ---- User errors: one line on stderr, a distinct non-zero exit code, no stack trace ----

    private static void AssertUserError(Result r, int code, string words)
    {
        Assert.Equal(code, r.Code);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(words, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DataErrorsAreOneLineWithTheirPlace()
    {
        string missing = PathOf("missing.csv");
        AssertUserError(Run(null, "train", "--data", missing), ExitCodes.FileProblem, missing);

        File.WriteAllText(PathOf("short.csv"), "a,b,y\n1,2,p\n3,q\n");
        AssertUserError(Run(null, "train", "--data", PathOf("short.csv")), ExitCodes.InvalidData, "line 3: the row has 2 cells; the header has 3");

        File.WriteAllText(PathOf("word.csv"), "a,b,y\n1,2,p\n3,four,q\n");
        AssertUserError(Run(null, "train", "--data", PathOf("word.csv")), ExitCodes.InvalidData, "line 3, column 2 ('b'): 'four' is not a number");

        File.WriteAllText(PathOf("nan.csv"), "a,b,y\n1,2,p\nNaN,3,q\n");
        AssertUserError(Run(null, "train", "--data", PathOf("nan.csv")), ExitCodes.InvalidData, "line 3, column 1 ('a'): 'NaN' is NaN");

        // A label the model does not know: out of range of its classes.
        string model = PathOf("m.bpm");
        Assert.Equal(0, Run(null, "train", "--epochs", "3", "-o", model).Code);
        File.WriteAllText(PathOf("label.csv"), "ImageId,R1C1,R1C2,R2C1,R2C2,IsStairs\n1,1,2,3,4,1\n2,1,2,3,4,7\n");
        AssertUserError(Run(null, "evaluate", model, "--data", PathOf("label.csv")), ExitCodes.InvalidData, "line 3, column 6 ('IsStairs'): label '7' is not one of the classes (1, 0)");

        File.WriteAllText(PathOf("cols.csv"), "R1C1,R1C2,R2C1\n1,2,3\n");
        AssertUserError(Run(null, "predict", model, PathOf("cols.csv")), ExitCodes.InvalidData, "R2C2");
        AssertUserError(Run("1,2,3\n", "predict", model), ExitCodes.InvalidData, "standard input, line 1: the row has 3 cells; expected 4");
    }

    [Fact]
    public void AMissingFashionMnistSaysHowToInstallIt()
    {
        Result r = Run(null, "train", "--data", "fashion-mnist", "--data-dir", PathOf("nowhere"));
        AssertUserError(r, ExitCodes.FileProblem, "Fashion-MNIST is not installed");
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelErrorsAreOneLine()
    {
        AssertUserError(Run(null, "evaluate", PathOf("none.bpm")), ExitCodes.FileProblem, "none.bpm");
        File.WriteAllText(PathOf("text.bpm"), "hello");
        AssertUserError(Run(null, "evaluate", PathOf("text.bpm")), ExitCodes.InvalidData, "not a Backprop model file");
        string model = PathOf("m.bpm");
        Assert.Equal(0, Run(null, "train", "--epochs", "2", "-o", model).Code);
        byte[] bytes = File.ReadAllBytes(model);
        bytes[^9] ^= 1;
        File.WriteAllBytes(model, bytes);
        AssertUserError(Run(null, "predict", model, Stairs("test.csv")), ExitCodes.InvalidData, "checksum mismatch");
        AssertUserError(Run(null, "train", "--epochs", "2", "-o", PathOf("no/such/dir/m.bpm")), ExitCodes.FileProblem, "does not exist");
    }

    [Fact]
    public void CommandLineErrorsAreOneLineWithExitCode2()
    {
        AssertUserError(Run(null, "train", "--bogus"), ExitCodes.Usage, "--bogus");
        AssertUserError(Run(null, "train", "--epochs", "0"), ExitCodes.Usage, "--epochs 0");
        AssertUserError(Run(null, "train", "--epochs", "many"), ExitCodes.Usage, "'many' for option '--epochs' as a whole number");
        AssertUserError(Run(null, "train", "--activation", "softplus"), ExitCodes.Usage, "softplus");
        AssertUserError(Run(null, "train", "--layers", "5-2-2"), ExitCodes.Usage, "must run from 4 to 2");
        AssertUserError(Run(null, "train", "--hidden", "3,x"), ExitCodes.Usage, "'x' is not a layer size");
        AssertUserError(Run(null, "train", "--validation-split", "1.5"), ExitCodes.Usage, "--validation-split");
        AssertUserError(Run(null, "train", "--learning-rate", "-1"), ExitCodes.Usage, "--learning-rate");
        AssertUserError(Run(null, "evaluate"), ExitCodes.Usage, "Required argument missing");
        AssertUserError(Run(null, "frobnicate"), ExitCodes.Usage, "frobnicate");
    }

    /// <summary>A network the model file could not hold (more layer sizes than a file may list) is refused before training, and nothing is written.</summary>
    [Fact]
    public void ANetworkTheModelFileCannotHoldIsRefusedBeforeTraining()
    {
        string model = PathOf("deep.bpm");
        string hidden = string.Join(',', Enumerable.Repeat("1", ModelFile.MaxLayerSizes - 1)); // + inputs + outputs = one size too many
        Result r = Run(null, "train", "--hidden", hidden, "--epochs", "1", "-o", model);
        AssertUserError(r, ExitCodes.Usage, "cannot be saved");
        Assert.DoesNotContain("Epoch", r.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        Result r = Run(null);
        Assert.Equal(0, r.Code);
        foreach (string command in new[] { "train", "evaluate", "predict", "gradcheck" })
        {
            Assert.Contains(command, r.Out, StringComparison.Ordinal);
        }

        Result train = Run(null, "train", "--help");
        Assert.Equal(0, train.Code);
        Assert.Contains("--validation-split", train.Out, StringComparison.Ordinal);
    }

    private static double Accuracy(string text, string label)
    {
        string line = text.Split('\n').First(l => l.StartsWith(label, StringComparison.Ordinal));
        return double.Parse(line[label.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static int[] ConfusionCounts(string text, string[] names)
    {
        var counts = new List<int>();
        string[] lines = text.Split('\n');
        foreach (string name in names)
        {
            string row = lines.First(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal) && !l.Contains("recall", StringComparison.Ordinal));
            string[] cells = row[(row.IndexOf(name, StringComparison.Ordinal) + name.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            counts.Add(int.Parse(cells[0], CultureInfo.InvariantCulture));
            counts.Add(int.Parse(cells[1], CultureInfo.InvariantCulture));
        }

        return [.. counts];
    }
}
