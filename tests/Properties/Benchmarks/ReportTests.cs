using Backprop.Benchmarks.Reporting;
using Backprop.Benchmarks.Reporting.Report;

namespace Backprop.Properties.Benchmarks;

/// <summary>
/// The benchmark report (<c>benchmarks -- report</c>) on hand-written results folders: every ratio
/// asserted here is computed by hand from the times in the CSVs below, not copied from a run.
/// </summary>
public sealed class ReportTests : IDisposable
{
    private const string Header = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes";

    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "backprop-report-" + Guid.NewGuid().ToString("N"))).FullName;

    private string Results => Path.Combine(_root, "results");

    private string Readme => Path.Combine(_root, "README.md");

    public ReportTests()
    {
        // cpu-a: this run's job names. GEMM 256³ (2·256³ = 33,554,432 flops): Backprop 1,000 ns (33.55 GFLOP/s)
        // vs OpenBLAS 1,100 ns in the default job (1.10×), 2,000 ns vs 1,800 ns AVX2-only (0.90×);
        // measured peak 40 and 20 GFLOP/s, so 84 % of peak at both widths.
        Write("cpu-a", "GemmBenchmarks.csv",
            "GemmBenchmarks,float,Backprop,Default-OpenBLAS-SkylakeX,512,Shape=256x256x256 NN,1000,1000,10,,33.554,,0",
            "GemmBenchmarks,float,OpenBLAS,Default-OpenBLAS-SkylakeX,512,Shape=256x256x256 NN,1100,1100,10,,30.50,,0",
            "GemmBenchmarks,float,Backprop,NoAVX512-OpenBLAS-Haswell,256,Shape=256x256x256 NN,2000,2000,10,,16.777,,0",
            "GemmBenchmarks,float,OpenBLAS,NoAVX512-OpenBLAS-Haswell,256,Shape=256x256x256 NN,1800,1800,10,,18.64,,0");
        Write("cpu-a", "FmaPeakBenchmarks.csv",
            "FmaPeakBenchmarks,float,FMA chains,OneCore,512,Work=256-bit,5000000,5000000,1000,,20.00,,",
            "FmaPeakBenchmarks,float,FMA chains,OneCore,512,Work=512-bit,5000000,5000000,1000,,40.00,,");
        // Prediction, one row: ours 10 µs, ONNX Runtime 20 µs (2.00×), TensorPrimitives 5 µs (0.50×), floor 8 µs (ours ÷ floor 1.25×).
        Write("cpu-a", "InferenceBenchmarks.csv",
            "InferenceBenchmarks,-,Library,Default,512,Case=784-256-10x1,10000,10000,100,1.0000,,100000,0",
            "InferenceBenchmarks,-,OnnxRuntime,Default,512,Case=784-256-10x1,20000,20000,100,2.0000,,50000,0",
            "InferenceBenchmarks,-,TensorPrimitivesForward,Default,512,Case=784-256-10x1,5000,5000,100,0.5000,,200000,0",
            "InferenceBenchmarks,-,WeightReadFloor,Default,512,Case=784-256-10x1,8000,8000,100,0.8000,,125000,0");
        // End to end (TimeToAccuracy.csv, as `benchmarks -- time-to-accuracy` writes it; EndToEndPeers.csv as fashion_mnist.py
        // writes it): per epoch PyTorch 1.5 s, NumPy 2 s, scikit-learn 3 s against ours 1 s (1.50×, 2.00×, 3.00×); to 0.89
        // PyTorch 15 s, scikit-learn 21 s against ours 7 s (2.14×, 3.00×), NumPy not reached; peak memory ours 123,456,789 B
        // (118 MiB), PyTorch twice that (235 MiB, 2.00×); PyTorch's final test accuracy 0.8950.
        Write("cpu-a", "EndToEndPeers.csv",
            "EndToEndPeers,float,scikit-learn,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128; Threads=1; Measure=epoch\",3000000000,3000000000,100000000,,,,",
            "EndToEndPeers,float,scikit-learn,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128; Threads=1; Measure=to 0.89 test accuracy (7 epochs)\",21000000000,21000000000,,,,,",
            "EndToEndPeers,float,NumPy,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=epoch (15 epochs)\",2000000000.0,2000000000.0,1000.0,,,30000,",
            "EndToEndPeers,float,NumPy,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=to 0.89 test accuracy (not reached in 15 epochs)\",0.0,,,,,,",
            "EndToEndPeers,float,PyTorch,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=epoch (15 epochs)\",1500000000.0,1500000000.0,1000.0,,,40000,",
            "EndToEndPeers,float,PyTorch,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=to 0.89 test accuracy (10 epochs)\",15000000000.0,,,,,,",
            "EndToEndPeers,float,PyTorch,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=final test accuracy (15 epochs); Accuracy=0.8950\",0.0,,,,,,",
            "EndToEndPeers,float,PyTorch,OpenBLAS-Haswell-1t,256,\"Case=784-256-10x128 60000 rows +10000 eval; Threads=1; Measure=peak memory\",0.0,0.0,0.0,,,,246913578");
        Write("cpu-a", "TimeToAccuracy.csv",
            "TimeToAccuracy,float,Epoch,Default,512,Recipe=fashion-mnist-default; Threads=1; Epochs=15; Rows=60000,1000000000,1000000000,10000000,,,60000,",
            "TimeToAccuracy,float,To0.89,Default,512,Recipe=fashion-mnist-default; Threads=1; Epochs=15; Rows=60000,7000000000,7000000000,0,,,,",
            "TimeToAccuracy,float,PeakWorkingSet,Default,512,Recipe=fashion-mnist-default; Threads=1; Epochs=15; Rows=60000,0,0,0,,,,123456789");
        // Training step 784-256-10 × 128, one thread: ours 1,000 µs (median) at 512 bits; NumPy 1,500 µs (1.50×), PyTorch 2,000 µs (2.00×).
        Write("cpu-a", "TrainingStepBenchmarks.csv",
            "TrainingStepBenchmarks,float,Step,Bits512,512,Case=784-256-10x128,1010000,1000000,5000,,,128000,0",
            "TrainingStepBenchmarks,float,Step,Bits256,256,Case=784-256-10x128,1600000,1600000,5000,,,80000,0");
        Write("cpu-a", "TrainingStepPeers.csv",
            "TrainingStepPeers,float,NumPy,OpenBLAS-SkylakeX,512,\"Case=784-256-10x128; Threads=1\",1550000,1500000,10000,,,,",
            "TrainingStepPeers,float,PyTorch-autograd,OpenBLAS-SkylakeX,512,\"Case=784-256-10x128; Threads=1\",2050000,2000000,10000,,,,");
        File.WriteAllText(Path.Combine(Results, "cpu-a", AotTable.FileName), AotTable.Header + "\njit,1,\"512-bit, FMA\",661.6,1.00\nnativeaot default,1,\"128-bit, no FMA\",2945.6,4.45\n");
        File.WriteAllText(Path.Combine(Results, "cpu-a", "environment.md"), "- Run: 2026-11-30\n- Test CPU\n");

        // cpu-b: an older run's job names; Backprop and OpenBLAS equally fast (1.00×).
        Write("cpu-b", "GemmBenchmarks.csv",
            "GemmBenchmarks,float,Backprop,V256-OpenBLAS-Haswell,256,Shape=512x512x512 NN,4000,4000,10,,67.11,,0",
            "GemmBenchmarks,float,OpenBLAS,V256-OpenBLAS-Haswell,256,Shape=512x512x512 NN,4000,4000,10,,67.11,,0");
        File.WriteAllText(Readme, "# Test\n\n<!-- performance:begin -->\nold\n<!-- performance:end -->\n\nafter\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string cpu, string file, params string[] rows)
    {
        string folder = Directory.CreateDirectory(Path.Combine(Results, cpu)).FullName;
        File.WriteAllText(Path.Combine(folder, file), Header + "\n" + string.Join("\n", rows) + "\n");
    }

    private int Report(params string[] extra) => ReportCommand.Run(["--results", Results, "--readme", Readme, .. extra]);

    /// <summary>The cells of the first table row of <paramref name="text"/> whose first cell is <paramref name="first"/>.</summary>
    private static string[] Row(string text, string first, string? after = null)
    {
        int from = after is null ? 0 : text.IndexOf(after, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{after}' not found");
        string? line = text[from..].Split('\n').FirstOrDefault(l => l.StartsWith("| " + first + " |", StringComparison.Ordinal));
        Assert.True(line is not null, $"no table row '{first}' in:\n{text}");
        return [.. line!.Trim('|').Split('|').Select(c => c.Trim())];
    }

    [Fact]
    public void FolderReadmeHasEveryPeerRatioAndTheShareOfPeak()
    {
        Assert.Equal(0, Report("--cpu", "cpu-a"));
        string md = File.ReadAllText(Path.Combine(Results, "cpu-a", "README.md"));

        // GEMM: shape | Backprop 256 | % peak 256 | OpenBLAS 256 | vs OpenBLAS 256 | Backprop 512 | % peak 512 | OpenBLAS 512 | vs OpenBLAS 512
        string[] gemm = Row(md, "256³ NN");
        Assert.Equal(["256³ NN", "16.8", "84 %", "18.6", "0.90×", "33.6", "84 %", "30.5", "1.10×"], gemm[..9]);

        string[] inference = Row(md, "784-256-10 × 1");
        Assert.Equal("2.00×", inference[3]);   // ONNX Runtime ÷ ours
        Assert.Equal("0.50×", inference[5]);   // TensorPrimitives ÷ ours
        Assert.Equal("1.25×", inference[7]);   // ours ÷ weight-read floor

        // measure | threads | Backprop | PyTorch | PyTorch ÷ ours | NumPy | NumPy ÷ ours | scikit-learn | scikit-learn ÷ ours
        string[] epoch = Row(md, "epoch", after: "## End to end");
        Assert.Equal(["1.50 s (15 epochs)", "1.50×", "2.00 s (15 epochs)", "2.00×", "3.00 s", "3.00×"], epoch[3..]);
        string[] toTarget = Row(md, "to 0.89 test accuracy", after: "## End to end");
        Assert.Equal(["15.0 s (10 epochs)", "2.14×", "not reached in 15 epochs", "", "21.0 s (7 epochs)", "3.00×"], toTarget[3..]);
        Assert.Equal(["final test accuracy", "1", "", "0.8950", "", "", "", "", ""], Row(md, "final test accuracy", after: "## End to end"));
        Assert.Equal(["peak memory", "1", "118 MiB", "235 MiB", "2.00×", "", "", "", ""], Row(md, "peak memory", after: "## End to end"));

        string[] aot = Row(md, "nativeaot default");
        Assert.Equal("4.45×", aot[4]);

        // Each job is named with the setting it stands for.
        Assert.Contains("`NoAVX512-OpenBLAS-Haswell` at 256 bits: `DOTNET_EnableAVX512=0`", md, StringComparison.Ordinal);
        Assert.Contains("`Default-OpenBLAS-SkylakeX` at 512 bits: no setting", md, StringComparison.Ordinal);
        Assert.DoesNotContain("are the `Vector<T>` widths", md, StringComparison.Ordinal);
    }

    [Fact]
    public void RootSectionTabulatesEveryFolderAndSummarisesTheChosenOne()
    {
        Assert.Equal(0, Report("--cpu", "cpu-a"));
        string readme = File.ReadAllText(Readme);
        Assert.StartsWith("# Test\n\n<!-- performance:begin -->\n", readme, StringComparison.Ordinal);
        Assert.EndsWith("<!-- performance:end -->\n\nafter\n", readme, StringComparison.Ordinal);

        // results folder | run | GEMM vs OpenBLAS (geometric mean per job) | FMA peak | step vs NumPy | step vs PyTorch | 1 row vs ONNX Runtime
        // | epoch vs PyTorch | epoch vs NumPy | epoch vs scikit-learn
        string[] a = Row(readme, "[`cpu-a`](results/cpu-a/README.md) (above)");
        Assert.Equal(["2026-11-30", "1.10× default, 512-bit; 0.90× AVX2 only, 256-bit", "40 (512-bit)", "1.50×", "2.00×", "2.00×", "1.50×", "2.00×", "3.00×"], a[1..]);
        string[] b = Row(readme, "[`cpu-b`](results/cpu-b/README.md)");
        Assert.Equal("1.00× 256-bit", b[2]);
        Assert.Equal(["—", "—", "—"], b[^3..]);

        // The chosen folder's GEMM summary is titled with its answer.
        Assert.Contains("**GEMM**, float: 1.10× OpenBLAS's speed (default, 512-bit), 0.90× (AVX2 only, 256-bit).", readme, StringComparison.Ordinal);
        Assert.Contains("**Prediction**, float, one thread, job `Default`", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckGuardsEveryFolderNotOnlyTheSummarisedOne()
    {
        Assert.Equal(0, Report("--cpu", "cpu-a"));
        Assert.Equal(0, Report("--check"));   // without --cpu: the folder the section already shows

        // A new measurement in the folder the root section does not summarise still makes the report stale.
        Write("cpu-b", "GemmBenchmarks.csv",
            "GemmBenchmarks,float,Backprop,V256-OpenBLAS-Haswell,256,Shape=512x512x512 NN,2000,2000,10,,134.22,,0",
            "GemmBenchmarks,float,OpenBLAS,V256-OpenBLAS-Haswell,256,Shape=512x512x512 NN,4000,4000,10,,67.11,,0");
        Assert.Equal(1, Report("--check"));
        Assert.Equal(0, Report());
        Assert.Equal(0, Report("--check"));
        Assert.Equal("2.00× 256-bit", Row(File.ReadAllText(Readme), "[`cpu-b`](results/cpu-b/README.md)")[2]);
    }

    [Fact]
    public void ChartsAreOnePerQuestionAndRendered()
    {
        Assert.Equal(0, Report("--cpu", "cpu-a"));
        string charts = Path.Combine(Results, "cpu-a", "charts");
        foreach (string name in new[] { "gemm-float.png", "training-step.png", "inference.png", "end-to-end.png" })
        {
            byte[] png = File.ReadAllBytes(Path.Combine(charts, name));
            Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', name + " is not a PNG");
        }

        string md = File.ReadAllText(Path.Combine(Results, "cpu-a", "README.md"));
        Assert.Contains("[GEMM float: 1.10× OpenBLAS's speed (default, 512-bit), 0.90× (AVX2 only, 256-bit)](charts/gemm-float.png)", md, StringComparison.Ordinal);
        Assert.Contains("[Training step, one thread: 1.50× NumPy's speed, 2.00× PyTorch autograd's speed](charts/training-step.png)", md, StringComparison.Ordinal);
        Assert.Contains("[End to end, one thread, per epoch: 1.50× PyTorch's, 2.00× NumPy's, 3.00× scikit-learn's speed](charts/end-to-end.png)", md, StringComparison.Ordinal);
        Assert.Contains("[Prediction: 2.00× ONNX Runtime's speed; one 784-256-10 row: 2.00×](charts/inference.png)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadNumberIsRefusedWithItsFileAndLine()
    {
        Write("cpu-b", "GemmBenchmarks.csv", "GemmBenchmarks,float,Backprop,V256,256,Shape=64x64x64 NN,fast,,,,,,");
        Assert.Equal(2, Report("--cpu", "cpu-b"));
        Assert.Equal("old", File.ReadAllText(Readme).Split('\n')[3]);   // nothing written
    }

    [Theory]
    [InlineData("Bits256", 256, "`BACKPROP_VECTOR_BITS=256`: kernels pinned to 256 bits")]
    [InlineData("Bits512", 512, "`BACKPROP_VECTOR_BITS=512`: kernels pinned to 512 bits")]
    [InlineData("Default", 128, "no setting, what an application gets: the kernels chose 128 bits")]
    [InlineData("V256", 512, "no setting (the kernels chose 512 bits)")]
    [InlineData("V256", 256, "a default process of an older run")]
    [InlineData("V512-OpenBLAS-SkylakeX", 512, "`DOTNET_MaxVectorTBitWidth=512` (512-bit `Vector<T>`): kernels at 512 bits, against OpenBLAS's SkylakeX")]
    public void EveryJobIsDescribedByTheSettingItStandsFor(string job, int width, string expected) =>
        Assert.StartsWith(expected, MarkdownReport.DescribeJob(job, width), StringComparison.Ordinal);

    [Fact]
    public void TheAotTableOfCompareShBecomesItsCsv()
    {
        const string output = """
            NativeAOT vs JIT: 784-256-10 float training step, batch 128, best median of 3 round(s) of 200 steps
            | configuration                      | threads | kernels chosen                           |  µs per step |   vs JIT |
            |------------------------------------|---------|------------------------------------------|--------------|----------|
            | jit                                | 1       | 512-bit, FMA (hardware)                  |        661.6 |    1.00x |
            | nativeaot default                  | 2       | 128-bit, no FMA (hardware)               |       1713.2 |    3.11x |
            weights 0123abcd for 512-bit FMA, 1 thread(s): jit;
            """;
        Assert.Equal(
            AotTable.Header + "\njit,1,\"512-bit, FMA (hardware)\",661.6,1.00\nnativeaot default,2,\"128-bit, no FMA (hardware)\",1713.2,3.11\n",
            AotTable.ToCsv(output));
    }

    [Theory]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 5400)]
    public void BudgetsParse(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), SuiteCommand.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("30x")]
    [InlineData("0m")]
    public void BadBudgetsAreRefused(string text) => Assert.Null(SuiteCommand.ParseDuration(text));

    [Fact]
    public void TheSuitePlanIsPrintedAndChecked()
    {
        Assert.Equal(0, SuiteCommand.Run(["--dry-run", "--only", "gemm,report"]));
        Assert.Equal(2, SuiteCommand.Run(["--dry-run", "--only", "gemm,nope"]));
        Assert.Equal(2, SuiteCommand.Run(["--dry-run", "--budget", "1m", "--only", "gemm"]));   // the plan is longer than the budget
        Assert.Equal(2, SuiteCommand.Run(["--dry-run", "--budget", "soon"]));
    }

    [Fact]
    public void TheEstimateFollowsTheJobSettings()
    {
        // GEMM's jobs: 2 warm-up and 7 measured iterations (plus 2 pilot), at least 0.25 s each, and
        // 4.5 s of process overhead per case; the build is counted once per run, not here. No previous run in an empty folder.
        TimeSpan estimate = SuiteCommand.EstimateBdn(["*Kernels.GemmBenchmarks*.Library"], _root, out int cases);
        Assert.True(cases > 0);
        Assert.Equal(cases * (4.5 + (11 * 0.25)), estimate.TotalSeconds, 6);
        Assert.False(Jobs.Quick);

        // --widths keeps only those width jobs: the 256-bit inference cases are half of both widths' (on a 512-bit machine).
        SuiteCommand.EstimateBdn(["*InferenceBenchmarks*"], _root, out int every);
        SuiteCommand.EstimateBdn(["*InferenceBenchmarks*"], _root, out int only256, [256]);
        Assert.Equal(Jobs.Plan().Pinned.Length == 2 ? every / 2 : every, only256);
        Assert.Null(Jobs.OnlyWidths);
    }

    [Fact]
    public void LongChartTitlesBreakAtTheCommaNearestTheMiddle()
    {
        const string Short = "End to end, one thread, per epoch: 2.44× scikit-learn's speed";
        Assert.Equal(Short, Charts.FitTitle(Short));
        Assert.Equal(
            "Training step, one thread: 0.84–29.65× NumPy's speed,\n0.78–45.88× PyTorch autograd's speed, 0.78–18.25× PyTorch hand-written's speed",
            Charts.FitTitle("Training step, one thread: 0.84–29.65× NumPy's speed, 0.78–45.88× PyTorch autograd's speed, 0.78–18.25× PyTorch hand-written's speed"));

        // No comma near the middle: the space nearest it.
        string words = string.Join(' ', Enumerable.Repeat("word", 20));
        string[] lines = Charts.FitTitle(words).Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal(words, string.Join(' ', lines));
        Assert.True(Math.Abs(lines[0].Length - lines[1].Length) <= 5);
    }

    [Fact]
    public void ConsecutiveBenchmarkStepsWithTheSameArgumentsRunAsOne()
    {
        static SuiteCommand.Step Bdn(string name, params string[] extra) => new(name, name, TimeSpan.FromMinutes(1), null, _ => 0, new SuiteCommand.BenchmarkRun(["*" + name + "*"], extra));
        static SuiteCommand.Step Other(string name, string? skip = null) => new(name, name, TimeSpan.FromMinutes(1), skip, _ => 0);
        List<List<SuiteCommand.Step>> groups = SuiteCommand.Groups(
            [Bdn("gemm"), Bdn("peak"), Other("skipped", "no tool"), Bdn("step"), Bdn("inference", "--widths", "512"), Bdn("epoch"), Other("python"), Bdn("late")]);
        Assert.Equal(["gemm,peak,step", "inference", "epoch", "python", "late"], groups.Select(g => string.Join(',', g.Select(s => s.Name))));

        // The plan counts one build per BenchmarkDotNet run: 8 one-minute steps, 7 of which run, and 4 builds.
        var output = new StringWriter();
        TimeSpan total = SuiteCommand.PrintPlan(output, [Bdn("gemm"), Bdn("peak"), Other("skipped", "no tool"), Bdn("step"), Bdn("inference", "--widths", "512"), Bdn("epoch"), Other("python"), Bdn("late")], "dir", TimeSpan.FromHours(1), quick: false);
        Assert.Equal((7 * 60) + (4 * SuiteCommand.BuildSeconds), total.TotalSeconds, 6);
        Assert.Contains("gemm, peak, step; inference; epoch; late", output.ToString(), StringComparison.Ordinal);
    }
}
