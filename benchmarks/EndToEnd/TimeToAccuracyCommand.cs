using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backprop.Benchmarks.Commands;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;

namespace Backprop.Benchmarks.EndToEnd;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- time-to-accuracy [--threads 1,2] [--repeat N] [--quick] [--out DIR]</c>:
/// the CLI's Fashion-MNIST default recipe (<see cref="FashionMnistRecipe"/>) on the real files, in a
/// fresh child process per thread count and repetition: training time per epoch, training time until the
/// test accuracy first reaches 0.89 and 0.90 (evaluation after each epoch is not counted), the final test
/// accuracy, and the child's peak working set. Written to <c>TimeToAccuracy.csv</c> (the results CSV
/// columns, <see cref="ResultsExporter.Header"/>) and <c>TimeToAccuracy.md</c> in <c>DIR</c> (default
/// <see cref="ResultsFolder.ForThisMachine"/>; a <c>--quick</c> run writes only with <c>--out</c>).
/// </summary>
/// <remarks>
/// <c>--quick</c> is the smoke form: 5 000 training rows, 2 000 test rows, 2 epochs, one repetition.
/// The hidden child mode is <c>time-to-accuracy --child THREADS EPOCHS TRAIN_ROWS TEST_ROWS</c>; it prints one
/// line per epoch (<c>epoch seconds accuracy</c>) and a last line <c>peak BYTES</c>.
/// </remarks>
public static class TimeToAccuracyCommand
{
    /// <summary>The accuracies whose first epoch is reported.</summary>
    public static readonly double[] Targets = [0.89, 0.90];

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(10);

    /// <returns>0 on success, 1 when a child failed or the data are missing, 2 on a bad command line.</returns>
    public static int Run(string[] args) =>
        CommandArguments.Run("time-to-accuracy", "[--threads 1,2] [--repeat N (default 3)] [--quick] [--out DIR]", args, RunParent, RunChild);

    private static int RunChild(string[] args)
    {
        if (args.Length != 4)
        {
            throw new ArgumentException("--child needs THREADS EPOCHS TRAIN_ROWS TEST_ROWS.");
        }

        int threads = int.Parse(args[0], CultureInfo.InvariantCulture);
        int epochs = int.Parse(args[1], CultureInfo.InvariantCulture);
        int trainRows = int.Parse(args[2], CultureInfo.InvariantCulture);
        int testRows = int.Parse(args[3], CultureInfo.InvariantCulture);
        LabeledData<float> train = FashionMnist.Load<float>(train: true, maxRows: trainRows);
        LabeledData<float> test = FashionMnist.Load<float>(train: false, maxRows: testRows);
        FeatureScaling scaling = FeatureScaling.Fit<float>(train.FeatureMatrix, FashionMnistRecipe.Scaling);
        train.Scale(scaling);
        test.Scale(scaling);
        Dataset<float> trainSet = train.ToDataset(), testSet = test.ToDataset();
        NetworkShape shape = FashionMnistRecipe.Shape();
        var network = new Network<float>(shape);
        network.InitializeHeUniform(FashionMnistRecipe.Seed);
        using var trainer = new Trainer<float>(network, FashionMnistRecipe.CreateOptimizer<float>(shape), FashionMnistRecipe.Options(train.Count, epochs, threads));
        var clock = new Stopwatch();
        var output = new StringBuilder();
        for (int e = 0; e < epochs; e++)
        {
            clock.Start();
            trainer.RunEpoch(trainSet);
            clock.Stop();
            double accuracy = trainer.Evaluate(testSet).Accuracy;
            output.Append(CultureInfo.InvariantCulture, $"{e + 1} {clock.Elapsed.TotalSeconds:R} {accuracy:R}\n");
        }

        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        output.Append(CultureInfo.InvariantCulture, $"peak {self.PeakWorkingSet64}\n");
        Console.Write(output.ToString());
        return 0;
    }

    private static int RunParent(string[] args)
    {
        int[] threadCounts = [1, 2];
        int repeat = 3;
        bool quick = false;
        string? outDir = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads":
                    threadCounts = [.. CommandArguments.Value(args, ref i).Split(',').Select(t => CommandArguments.Positive("--threads", t))];
                    break;
                case "--repeat":
                    repeat = CommandArguments.Positive("--repeat", CommandArguments.Value(args, ref i));
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--out":
                    outDir = CommandArguments.Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}.");
            }
        }

        if (!FashionMnist.IsInstalled())
        {
            throw new FileNotFoundException($"Fashion-MNIST is not installed; install it with: {FashionMnist.InstallCommand}");
        }

        (int epochs, int trainRows, int testRows) = quick ? (2, 5_000, 2_000) : (FashionMnistRecipe.Epochs, 60_000, 10_000);
        if (quick)
        {
            repeat = 1;
        }

        var rows = new List<string>();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"# Time to accuracy: Fashion-MNIST, {FashionMnistRecipe.Describe(epochs)}, {trainRows} training rows, {testRows} test rows, {KernelSimd.VectorBits}-bit kernels");
        table.AppendLine();
        table.AppendLine("| threads | run | s per epoch (median) | epochs to 0.89 | s to 0.89 | epochs to 0.90 | s to 0.90 | final test accuracy | peak working set |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            var runs = new List<ChildRun>();
            for (int r = 0; r < repeat; r++)
            {
                ChildRun run = Launch(threads, epochs, trainRows, testRows);
                runs.Add(run);
                table.AppendLine(CultureInfo.InvariantCulture, $"| {threads} | {r + 1} | {Median(run.EpochSeconds):F3} | {Cell(run.FirstEpoch(0.89))} | {Cell(run.SecondsTo(0.89), "F2")} | {Cell(run.FirstEpoch(0.90))} | {Cell(run.SecondsTo(0.90), "F2")} | {run.Accuracies[^1]:F4} | {run.PeakBytes / 1048576.0:F0} MiB |");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {threads}, run {r + 1}: {Median(run.EpochSeconds):F3} s per epoch, 0.89 after {Cell(run.FirstEpoch(0.89))} epochs ({Cell(run.SecondsTo(0.89), "F2")} s), 0.90 after {Cell(run.FirstEpoch(0.90))} ({Cell(run.SecondsTo(0.90), "F2")} s), final {run.Accuracies[^1]:F4}, peak {run.PeakBytes / 1048576.0:F0} MiB"));
            }

            string parameters = string.Create(CultureInfo.InvariantCulture, $"Recipe=fashion-mnist-default; Threads={threads}; Epochs={epochs}; Rows={trainRows}");
            rows.Add(Row("Epoch", parameters, [.. runs.Select(r => Median(r.EpochSeconds) * 1e9)], trainRows, null));
            foreach (double target in Targets)
            {
                double[] times = [.. runs.Select(r => r.SecondsTo(target)).OfType<double>().Select(s => s * 1e9)];
                if (times.Length == runs.Count)
                {
                    rows.Add(Row(string.Create(CultureInfo.InvariantCulture, $"To{target:F2}"), parameters, times, null, null));
                }
            }

            rows.Add(Row("PeakWorkingSet", parameters, [0], null, runs.Max(r => r.PeakBytes)));

            // The same every run (training is deterministic); the report reads it from Accuracy=, as the peers' rows carry it.
            rows.Add(Row("FinalAccuracy", parameters + string.Create(CultureInfo.InvariantCulture, $"; Accuracy={runs[0].Accuracies[^1]:F4}"), [0], null, null));
        }

        if (quick && outDir is null)
        {
            Console.WriteLine("quick run: nothing written (give --out DIR to check the files).");
            Console.Write(table.ToString());
            return 0;
        }

        string directory = CommandArguments.OutputFolder(outDir);
        var csv = new StringBuilder(ResultsExporter.Header).Append('\n');
        foreach (string row in rows)
        {
            csv.Append(row).Append('\n');
        }

        File.WriteAllText(Path.Combine(directory, "TimeToAccuracy.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(directory, "TimeToAccuracy.md"), table.ToString());
        Console.WriteLine($"written: {Path.Combine(directory, "TimeToAccuracy.csv")} and TimeToAccuracy.md");
        return 0;
    }

    /// <summary>One CSV row: Suite TimeToAccuracy, Type float, Job Default, times in ns (mean, median, standard deviation over the runs).</summary>
    private static string Row(string method, string parameters, double[] ns, int? rowsPerOperation, long? bytes)
    {
        double mean = ns.Average();
        double median = Median(ns);
        double sd = ns.Length > 1 ? Math.Sqrt(ns.Sum(v => (v - mean) * (v - mean)) / (ns.Length - 1)) : 0;
        string rate = rowsPerOperation is int n && mean > 0 ? (n / (mean * 1e-9)).ToString("F0", CultureInfo.InvariantCulture) : string.Empty;
        return string.Join(
            ',',
            "TimeToAccuracy",
            "float",
            method,
            "Default",
            KernelSimd.VectorBits.ToString(CultureInfo.InvariantCulture),
            parameters,
            mean.ToString("F1", CultureInfo.InvariantCulture),
            median.ToString("F1", CultureInfo.InvariantCulture),
            sd.ToString("F1", CultureInfo.InvariantCulture),
            string.Empty,
            string.Empty,
            rate,
            bytes?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
    }

    private static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Cell(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "–";

    private static string Cell(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";

    private static ChildRun Launch(int threads, int epochs, int trainRows, int testRows)
    {
        ProcessStartInfo info = ChildProcess.StartInfo(["time-to-accuracy", "--child", .. new[] { threads, epochs, trainRows, testRows }.Select(v => v.ToString(CultureInfo.InvariantCulture))]);
        return ChildRun.Parse(ChildProcess.Run(info, ChildTimeout, $"the child for {threads} threads"), epochs);
    }

    /// <summary>What one child measured: cumulative training seconds and test accuracy after each epoch, and its peak working set.</summary>
    private sealed record ChildRun(double[] CumulativeSeconds, double[] Accuracies, long PeakBytes)
    {
        public double[] EpochSeconds => [.. CumulativeSeconds.Select((s, i) => i == 0 ? s : s - CumulativeSeconds[i - 1])];

        public int? FirstEpoch(double target)
        {
            int i = Array.FindIndex(Accuracies, a => a >= target);
            return i < 0 ? null : i + 1;
        }

        public double? SecondsTo(double target) => FirstEpoch(target) is int e ? CumulativeSeconds[e - 1] : null;

        public static ChildRun Parse(string output, int epochs)
        {
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (lines.Length != epochs + 1 || !lines[^1].StartsWith("peak ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"unexpected child output:\n{output}");
            }

            double[] seconds = new double[epochs], accuracies = new double[epochs];
            for (int e = 0; e < epochs; e++)
            {
                string[] f = lines[e].Split(' ');
                seconds[e] = double.Parse(f[1], CultureInfo.InvariantCulture);
                accuracies[e] = double.Parse(f[2], CultureInfo.InvariantCulture);
            }

            return new ChildRun(seconds, accuracies, long.Parse(lines[^1][5..], CultureInfo.InvariantCulture));
        }
    }
}
