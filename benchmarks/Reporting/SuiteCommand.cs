using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Backprop.Benchmarks.ColdStart;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- suite [--budget 30m] [--only a,b] [--dry-run] [--quick] [--results DIR]</c>:
/// runs, one after the other, the suites a reader needs to compare this library with what they use
/// now, into this machine's <c>benchmarks/results/&lt;cpu&gt;/</c>, then the report. Before starting it
/// prints the plan with each step's estimated duration (from the jobs' warm-up and iteration counts,
/// BenchmarkDotNet's 0.5 s iteration target, and the previous run's times where the folder has them)
/// and refuses a plan longer than <c>--budget</c>. <c>--only</c> reruns some steps (each step replaces
/// only its own rows); <c>--dry-run</c> prints the plan; <c>--quick</c> runs every step in its smoke
/// form into a temporary folder (or <c>--results DIR</c>) and writes nothing into the repository.
/// </summary>
public static class SuiteCommand
{
    /// <summary>The documented invocation.</summary>
    public const string Command = "dotnet run -c Release --project benchmarks -- suite";

    /// <summary>The default budget: what the full plan takes on 2 cores, with margin.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMinutes(30);

    /// <summary>Cold-start launches per case and variant in the suite (the command's default is 10).</summary>
    private const int ColdStartLaunches = 3;

    /// <summary>
    /// The suite's prediction cases: 784-256-10 at 1, 8, 64 and 256 rows and 20-32-5 at 1 and 256 (the batch
    /// sizes between are left to <c>--filter '*InferenceBenchmarks*'</c>), every method.
    /// </summary>
    private static readonly string[] InferenceFilters =
        [.. new[] { "784-256-10x1", "784-256-10x8", "784-256-10x64", "784-256-10x256", "20-32-5x1", "20-32-5x256" }.Select(c => $"*InferenceBenchmarks.*(Case: \"{c}\")")];

    /// <summary>
    /// The suite's GEMM cases: float, Backprop and OpenBLAS, the square shapes 128³–1024³ (NN) and the three
    /// products of the 784-256-10 × 128 step (which cover the transposed layouts; the square TN and NT shapes and
    /// 64³ are left to <c>--filter '*Kernels.GemmBenchmarks*'</c>, which also measures double).
    /// </summary>
    private static readonly string[] GemmFilters =
        [.. new[] { "128x128x128 NN", "256x256x256 NN", "512x512x512 NN", "1024x1024x1024 NN", "128x256x784 NN", "784x256x128 TN", "128x784x256 NT" }
            .SelectMany(shape => new[] { "Library", "OpenBlasGemm" }.Select(method => $"*Kernels.GemmBenchmarks<Single>.{method}(Shape: {shape})"))];

    private const string Python = "/usr/bin/python3";

    private static readonly string[] QuickFlag = ["--quick"];

    /// <summary>The training-step peers in the suite: 10 samples of 0.1 s after 0.5 s of warm-up (run.py's default: 15 of 0.25 s after 1 s).</summary>
    private static readonly string[] StepPeerSampling = ["--samples", "10", "--sample-seconds", "0.1", "--warmup-seconds", "0.5"];

    /// <summary>One step of the plan.</summary>
    /// <param name="Name">Its <c>--only</c> name.</param>
    /// <param name="What">What a reader learns from it.</param>
    /// <param name="Estimate">Estimated duration of the full (not quick) step.</param>
    /// <param name="Skip">Why the step cannot run on this machine, or null.</param>
    /// <param name="Run">Runs the step into a results folder (quick or not); returns its exit code.</param>
    /// <param name="Benchmark">For a BenchmarkDotNet step, its filters and extra arguments: consecutive such steps with the same extra arguments run as one invocation (one build of the generated project).</param>
    internal sealed record Step(string Name, string What, TimeSpan Estimate, string? Skip, Func<Context, int> Run, BenchmarkRun? Benchmark = null);

    /// <summary>The filters and extra arguments of a BenchmarkDotNet step.</summary>
    internal sealed record BenchmarkRun(string[] Filters, string[] Extra);

    /// <summary>Where and how a run writes.</summary>
    internal sealed record Context(string Repo, string Folder, bool Quick, string Slug);

    /// <returns>0 when every step that ran succeeded, 1 when one failed, 2 on bad arguments or a plan over budget.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        TimeSpan budget = DefaultBudget;
        string[]? only = null;
        bool dry = false, quick = false;
        string? results = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--budget" when i + 1 < args.Length:
                    if (ParseDuration(args[++i]) is not TimeSpan b)
                    {
                        return Usage($"--budget: '{args[i]}' is not a duration such as 30m, 1h or 90s.");
                    }

                    budget = b;
                    break;
                case "--only" when i + 1 < args.Length:
                    only = args[++i].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    break;
                case "--results" when i + 1 < args.Length:
                    results = args[++i];
                    break;
                case "--dry-run":
                    dry = true;
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    return Usage($"unknown or incomplete argument '{args[i]}'.");
            }
        }

        string repo = Path.GetDirectoryName(ResultsFolder.ResultsRoot())!;
        repo = Path.GetDirectoryName(repo)!;
        string slug = ResultsFolder.CpuSlug();
        List<Step> all = Plan(repo, slug);
        if (only is not null)
        {
            string[] unknown = [.. only.Where(o => !all.Any(s => s.Name == o))];
            if (unknown.Length > 0)
            {
                return Usage($"--only: unknown step(s) {string.Join(", ", unknown)}; the steps are {string.Join(", ", all.Select(s => s.Name))}.");
            }
        }

        List<Step> steps = [.. all.Where(s => only is null || only.Contains(s.Name))];
        string folder = quick
            ? Directory.CreateDirectory(results ?? Path.Combine(Path.GetTempPath(), "backprop-suite-quick-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture))).FullName
            : results is not null ? Directory.CreateDirectory(results).FullName : Path.Combine(repo, "benchmarks", "results", slug);
        TimeSpan total = PrintPlan(Console.Out, steps, folder, budget, quick);
        if (!quick && total > budget)
        {
            Console.Error.WriteLine($"error: the plan takes about {Minutes(total)}, over the budget of {Minutes(budget)}: pick steps with --only, or raise --budget.");
            return 2;
        }

        if (Environment.GetEnvironmentVariable(Backprop.Kernels.KernelSimd.EnvironmentVariable) is { Length: > 0 } pinned)
        {
            Console.Error.WriteLine($"{(dry ? "warning" : "error")}: {Backprop.Kernels.KernelSimd.EnvironmentVariable}={pinned} is set in this shell; every job would inherit it and the 'default' rows would not be a default process. Unset it first.");
            if (!dry)
            {
                return 2;
            }
        }

        if (dry)
        {
            return 0;
        }

        var context = new Context(repo, Directory.CreateDirectory(folder).FullName, quick, slug);
        var failed = new List<string>();
        var clock = Stopwatch.StartNew();
        foreach (Step step in steps.Where(s => s.Skip is not null))
        {
            Console.WriteLine($"=== {step.Name}: skipped: {step.Skip}");
        }

        foreach (List<Step> group in Groups(steps))
        {
            string names = string.Join(", ", group.Select(s => s.Name));
            TimeSpan estimate = TimeSpan.FromTicks(group.Sum(s => s.Estimate.Ticks)) + (group[0].Benchmark is null ? TimeSpan.Zero : TimeSpan.FromSeconds(BuildSeconds));
            Console.WriteLine($"=== {names}: {string.Join("; ", group.Select(s => s.What))} (estimated {Minutes(estimate)}; {Minutes(clock.Elapsed)} so far)");
            var stepClock = Stopwatch.StartNew();
            int code = group.Count == 1 ? group[0].Run(context) : RunBenchmarks(context, group[0].Benchmark!.Extra, [.. group.SelectMany(s => s.Benchmark!.Filters)]);
            Console.WriteLine($"=== {names}: {(code == 0 ? "done" : "FAILED (exit " + code.ToString(CultureInfo.InvariantCulture) + ")")} in {Minutes(stepClock.Elapsed)}");
            if (code != 0)
            {
                failed.AddRange(group.Select(s => s.Name));
            }
        }

        Console.WriteLine($"suite: {steps.Count(s => s.Skip is null) - failed.Count} of {steps.Count} steps done in {Minutes(clock.Elapsed)}; results in {context.Folder}" + (failed.Count > 0 ? "; failed: " + string.Join(", ", failed) : string.Empty));
        return failed.Count > 0 ? 1 : 0;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("error: " + message);
        Console.Error.WriteLine("usage: " + Command + " [--budget 30m] [--only step,step] [--dry-run] [--quick] [--results DIR]");
        return 2;
    }

    /// <summary>
    /// The steps that run, in order, grouped into invocations: consecutive BenchmarkDotNet steps with the same
    /// extra arguments form one group (one BenchmarkDotNet run, one build); every other step is a group of its own.
    /// </summary>
    internal static List<List<Step>> Groups(IReadOnlyList<Step> steps)
    {
        var groups = new List<List<Step>>();
        foreach (Step s in steps.Where(s => s.Skip is null))
        {
            if (s.Benchmark is not null && groups.Count > 0 && groups[^1][^1].Benchmark is { } previous && previous.Extra.SequenceEqual(s.Benchmark.Extra))
            {
                groups[^1].Add(s);
            }
            else
            {
                groups.Add([s]);
            }
        }

        return groups;
    }

    /// <summary>Prints the plan; returns the estimated total of the steps that will run (and the builds of their BenchmarkDotNet invocations).</summary>
    internal static TimeSpan PrintPlan(TextWriter output, IReadOnlyList<Step> steps, string folder, TimeSpan budget, bool quick)
    {
        List<List<Step>> benchmarkRuns = [.. Groups(steps).Where(g => g[0].Benchmark is not null)];
        TimeSpan builds = TimeSpan.FromSeconds(BuildSeconds * benchmarkRuns.Count);
        TimeSpan total = TimeSpan.FromTicks(steps.Where(s => s.Skip is null).Sum(s => s.Estimate.Ticks)) + builds;
        output.WriteLine($"suite plan ({(quick ? "quick smoke run: every step once, nothing measured" : "full run, on a quiet machine")}); results to {folder}");
        foreach (Step s in steps)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Name,-11} {(s.Skip is null ? "~" + Minutes(s.Estimate) : "skipped"),-9} {s.What}{(s.Skip is null ? string.Empty : " (" + s.Skip + ")")}"));
        }

        if (benchmarkRuns.Count > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"builds",-11} {"~" + Minutes(builds),-9} BenchmarkDotNet builds its generated project once per run: {string.Join("; ", benchmarkRuns.Select(g => string.Join(", ", g.Select(s => s.Name))))}"));
        }

        output.WriteLine($"  total       ~{Minutes(total)} of a {Minutes(budget)} budget (full run; estimates assume the machine is otherwise idle)");
        return total;
    }

    /// <summary>"7 min", "45 s".</summary>
    internal static string Minutes(TimeSpan t) =>
        t.TotalSeconds < 90 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F0} s") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:F0} min");

    /// <summary>"30m", "1h", "90s", "1h30m"; null when not a positive duration.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        TimeSpan sum = TimeSpan.Zero;
        int i = 0;
        bool any = false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length || !int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                return null;
            }

            TimeSpan? unit = text[i] switch { 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), 's' => TimeSpan.FromSeconds(n), _ => null };
            if (unit is null)
            {
                return null;
            }

            sum += unit.Value;
            any = true;
            i++;
        }

        return any && sum > TimeSpan.Zero ? sum : null;
    }

    /// <summary>Every step, in the order it runs.</summary>
    internal static List<Step> Plan(string repo, string slug)
    {
        string previous = Path.Combine(repo, "benchmarks", "results", slug);
        bool pythonPeers = Succeeds(Python, "-c", "import numpy, torch");
        bool fashionMnist = Directory.Exists("/usr/share/datasets/fashion-mnist");
        bool aot = File.Exists(Path.Combine(repo, "samples", "AotStep", "compare.sh")) && FindOnPath("clang") is not null;
        return
        [
            // float only: the GEMM questions (vs OpenBLAS at both kernel sets, % of peak) are asked in float;
            // `--filter '*Kernels.GemmBenchmarks*'` measures double too.
            Bdn("gemm", "GEMM vs OpenBLAS, float: default process vs its best kernels, AVX2-only vs its Haswell kernels", GemmFilters, previous),
            Bdn("peak", "measured FMA peak per core at each width, float (the GEMM tables' % of peak)", ["*FmaPeakBenchmarks<Single>*"], previous),
            Bdn("step", "training step at each width, and on 1 and 2 threads", ["*TrainingStepBenchmarks*"], previous),
            Bdn("epoch", "end to end, float: whole epochs (shuffle, steps, evaluation) on 1 and 2 threads", ["*EpochBenchmarks<Single>*"], previous),
            new Step("step-peers", "the same training steps in NumPy and PyTorch (1 and 2 threads, both OpenBLAS kernel sets; 10 samples of 0.1 s)", TimeSpan.FromMinutes(2.5),
                pythonPeers ? null : $"{Python} cannot import numpy and torch (apt-get install python3-numpy python3-torch)",
                c => Exec(c.Repo, Python, [Path.Combine("benchmarks", "Peers", "python", "run.py"), "--no-build", "--results", c.Folder, .. c.Quick ? QuickFlag : StepPeerSampling])),
            // The widest width only: a default process picks it, and the report's prediction answer uses it.
            Bdn("inference", "prediction latency against ONNX Runtime and TensorPrimitives, at the width a default process picks", InferenceFilters, previous,
                ["--widths", Backprop.Kernels.KernelSimd.HardwareBits.ToString(CultureInfo.InvariantCulture)]),
            new Step("e2e-peers", "PyTorch, NumPy and scikit-learn on Fashion-MNIST (1 and 2 threads, 15 epochs): time per epoch, to 0.89 and 0.90, peak memory", TimeSpan.FromMinutes(3),
                !pythonPeers ? $"{Python} cannot import numpy and torch (apt-get install python3-numpy python3-torch python3-sklearn)" : !fashionMnist ? "the Fashion-MNIST package is missing (apt-get install dataset-fashion-mnist)" : null,
                c => Exec(c.Repo, Python, [Path.Combine("benchmarks", "Peers", "python", "fashion_mnist.py"), "--no-build", "--results", c.Folder, .. c.Quick ? QuickFlag : []])),
            new Step("e2e", "this project's Fashion-MNIST default recipe: time per epoch, to 0.89 and 0.90, peak memory (1 and 2 threads)", TimeSpan.FromMinutes(1.5),
                typeof(SuiteCommand).Assembly.GetType("Backprop.Benchmarks.EndToEnd.TimeToAccuracyCommand") is null ? "this build has no time-to-accuracy command" : null,
                c => Exec(Path.Combine(c.Repo, "benchmarks"), Self()[0], [.. Self()[1..], "time-to-accuracy", "--out", c.Folder, .. c.Quick ? QuickFlag : []])),
            new Step("cold-start", "first calls in fresh processes", ColdStartEstimate(), null,
                c => Exec(Path.Combine(c.Repo, "benchmarks"), Self()[0], [.. Self()[1..], "cold-start", "--out", c.Folder, .. c.Quick ? QuickFlag : ["--launches", ColdStartLaunches.ToString(CultureInfo.InvariantCulture)]])),
            new Step("aot", "NativeAOT training step against the JIT (samples/AotStep/compare.sh)", TimeSpan.FromMinutes(6),
                aot ? null : "clang not found (apt-get install clang zlib1g-dev), which NativeAOT links with",
                RunAot),
            new Step("report", "the folder's README and charts, the root README's section", TimeSpan.FromSeconds(20), null,
                c => c.Quick
                    ? QuickReport(c)
                    : Exec(Path.Combine(c.Repo, "benchmarks"), Self()[0], [.. Self()[1..], "report", "--cpu", c.Slug])),
        ];
    }

    /// <summary>A BenchmarkDotNet step: this program with <c>--filter</c>, estimated from its cases.</summary>
    private static Step Bdn(string name, string what, string[] filters, string previous, string[]? extra = null)
    {
        int[]? widths = extra is [.., "--widths", string w] ? [int.Parse(w, CultureInfo.InvariantCulture)] : null;
        TimeSpan estimate = EstimateBdn(filters, previous, out int cases, widths);
        return new Step(name, what + string.Create(CultureInfo.InvariantCulture, $" [{cases} cases]"), estimate, null,
            c => RunBenchmarks(c, extra ?? [], filters), new BenchmarkRun(filters, extra ?? []));
    }

    /// <summary>This program with BenchmarkDotNet's <c>--filter</c> (one run, one build), writing into the context's folder.</summary>
    private static int RunBenchmarks(Context c, string[] extra, string[] filters) =>
        Exec(Path.Combine(c.Repo, "benchmarks"), Self()[0], [.. Self()[1..], "--filter", .. filters, .. extra, "--results", c.Folder, .. c.Quick ? QuickFlag : []]);

    /// <summary>
    /// Seconds a case costs besides its iterations: process start, JIT, pilot and overhead stages, the memory
    /// diagnoser's extra run. Measured: the idle 2-core run of 2026-12-01 took 11.2 s per GEMM case (96 cases,
    /// 18.6 min) and 10.3 s per inference case, 6 s of which were iterations.
    /// </summary>
    private const double CaseOverheadSeconds = 4.5;

    /// <summary>BenchmarkDotNet's default iteration time (jobs that set none).</summary>
    private const double IterationSeconds = 0.5;

    /// <summary>Building the generated project, once per invocation (30–42 s in the idle run of 2026-12-01).</summary>
    internal const double BuildSeconds = 45;

    /// <summary>
    /// Cases the filters select (with the full jobs), each costing <see cref="CaseOverheadSeconds"/> plus
    /// (warm-up + iterations + 2 pilot) iterations of max(the job's iteration time, the previous run's mean for
    /// that case). The build (<see cref="BuildSeconds"/>, once per BenchmarkDotNet run) is not included.
    /// </summary>
    internal static TimeSpan EstimateBdn(string[] filters, string previousFolder, out int cases, IReadOnlyList<int>? widths = null)
    {
        bool quick = Jobs.Quick;
        IReadOnlyList<int>? only = Jobs.OnlyWidths;
        Jobs.Quick = false;
        Jobs.OnlyWidths = widths;
        try
        {
            var glob = new GlobFilter(filters);
            Dictionary<string, double> means = PreviousMeans(previousFolder);
            double seconds = 0;
            cases = 0;
            foreach (Type type in BenchmarkTypes())
            {
                BenchmarkRunInfo info = BenchmarkConverter.TypeToBenchmarks(type);
                foreach (BenchmarkCase c in info.BenchmarksCases.Where(glob.Predicate))
                {
                    cases++;
                    int warmup = c.Job.Run.HasValue(RunMode.WarmupCountCharacteristic) ? c.Job.Run.WarmupCount : 6;
                    int iterations = c.Job.Run.HasValue(RunMode.IterationCountCharacteristic) ? c.Job.Run.IterationCount : 15;
                    string key = Key(ResultsExporter.SuiteName(type), ResultsExporter.TypeName(type), c.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), c.Job.ResolvedId,
                        string.Join("; ", c.Parameters.Items.Select(p => $"{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}")));
                    double op = means.TryGetValue(key, out double ns) ? ns * 1e-9 : 0;
                    double iteration = c.Job.Run.HasValue(RunMode.IterationTimeCharacteristic) ? c.Job.Run.IterationTime.ToSeconds() : IterationSeconds;
                    seconds += CaseOverheadSeconds + ((warmup + iterations + 2) * Math.Max(iteration, op));
                }
            }

            return TimeSpan.FromSeconds(seconds);
        }
        finally
        {
            Jobs.Quick = quick;
            Jobs.OnlyWidths = only;
        }
    }

    private static string Key(string suite, string type, string method, string job, string parameters) => string.Join('|', suite, type, method, job, parameters);

    /// <summary>Means (ns) of the previous run in this machine's folder, by suite, type, method, job and parameters.</summary>
    private static Dictionary<string, double> PreviousMeans(string folder)
    {
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return means;
        }

        foreach (string path in Directory.GetFiles(folder, "*.csv"))
        {
            try
            {
                foreach (Report.ResultRow r in Report.ResultTable.LoadSuite(path).Rows)
                {
                    means.TryAdd(Key(r.Suite, r.Type, r.Method, r.Job, r.Parameters), r.MeanNs);
                }
            }
            catch (Report.ReportInputException)
            {
                // Not a suite CSV (cold start, the AOT table): no means from it.
            }
        }

        return means;
    }

    /// <summary>The closed benchmark classes of this assembly (generic ones closed over their [GenericTypeArguments]).</summary>
    private static IEnumerable<Type> BenchmarkTypes()
    {
        foreach (Type t in typeof(SuiteCommand).Assembly.GetTypes())
        {
            if (t.IsAbstract || !t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
            {
                continue;
            }

            if (!t.IsGenericTypeDefinition)
            {
                yield return t;
                continue;
            }

            foreach (BenchmarkDotNet.Attributes.GenericTypeArgumentsAttribute a in t.GetCustomAttributes(typeof(BenchmarkDotNet.Attributes.GenericTypeArgumentsAttribute), false).Cast<BenchmarkDotNet.Attributes.GenericTypeArgumentsAttribute>())
            {
                yield return t.MakeGenericType(a.GenericTypeArguments);
            }
        }
    }

    /// <summary><see cref="ColdStartLaunches"/> × (case, variant) pairs × about 2.5 s a launch (start-up, 100 calls, 1 s of steady warm-up, 200 steady calls).</summary>
    private static TimeSpan ColdStartEstimate()
    {
        int pairs = ColdStartCase.All.Sum(c => c.AllVariants ? ColdStartVariant.All.Count : 1);
        return TimeSpan.FromSeconds(pairs * ColdStartLaunches * 2.5);
    }

    /// <summary>How to start this program again: the apphost, or <c>dotnet</c> and the assembly.</summary>
    private static string[] Self()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(SuiteCommand).Assembly.Location]
            : [process];
    }

    /// <summary>Runs a program in <paramref name="directory"/>, its output shown as it comes.</summary>
    internal static int Exec(string directory, string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        Console.WriteLine("$ " + program + " " + string.Join(' ', info.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains('*', StringComparison.Ordinal) ? "'" + a + "'" : a)));
        using var p = Process.Start(info) ?? throw new InvalidOperationException(program + " did not start.");
        p.WaitForExit();
        return p.ExitCode;
    }

    private static bool Succeeds(string program, params string[] arguments)
    {
        if (!File.Exists(program))
        {
            return false;
        }

        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info);
        if (p is null)
        {
            return false;
        }

        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>The AOT step: compare.sh's table, captured and written as <c>aot-step.csv</c> for the report.</summary>
    private static int RunAot(Context c)
    {
        string logs = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "backprop-aot-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture))).FullName;
        var info = new ProcessStartInfo("bash") { WorkingDirectory = c.Repo, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string a in new[] { Path.Combine("samples", "AotStep", "compare.sh"), "--out", logs }.Concat(c.Quick ? ["--quick"] : []))
        {
            info.ArgumentList.Add(a);
        }

        Console.WriteLine("$ bash " + string.Join(' ', info.ArgumentList));
        using var p = Process.Start(info) ?? throw new InvalidOperationException("bash did not start.");
        var output = new StringBuilder();
        while (p.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
            output.Append(line).Append('\n');
        }

        p.WaitForExit();
        string csv = AotTable.ToCsv(output.ToString());
        File.WriteAllText(Path.Combine(c.Folder, AotTable.FileName), csv);
        Console.WriteLine($"wrote {Path.Combine(c.Folder, AotTable.FileName)}");
        return p.ExitCode;
    }

    /// <summary>The quick report: on a copy of the results and the README, so the checkout stays as committed.</summary>
    private static int QuickReport(Context c)
    {
        string root = Directory.CreateDirectory(Path.Combine(c.Folder, "report-root")).FullName;
        string copy = Directory.CreateDirectory(Path.Combine(root, c.Slug)).FullName;
        foreach (string f in Directory.GetFiles(c.Folder).Where(f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal)))
        {
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)), overwrite: true);
        }

        string readme = Path.Combine(root, "README.md");
        File.Copy(Path.Combine(c.Repo, "README.md"), readme, overwrite: true);
        return Exec(Path.Combine(c.Repo, "benchmarks"), Self()[0], [.. Self()[1..], "report", "--results", root, "--readme", readme, "--cpu", c.Slug]);
    }
}

/// <summary><c>aot-step.csv</c>: compare.sh's NativeAOT-vs-JIT table as a CSV the report reads.</summary>
internal static class AotTable
{
    public const string FileName = "aot-step.csv";

    public const string Header = "Configuration,Threads,Kernels,MedianUs,VsJit";

    /// <summary>Rows of the markdown table compare.sh prints (<c>| name | threads | kernels | µs | ratio |</c>).</summary>
    public static string ToCsv(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var csv = new StringBuilder(Header).Append('\n');
        foreach (string raw in output.Split('\n'))
        {
            string[] cells = raw.Trim().Trim('|').Split('|', StringSplitOptions.TrimEntries);
            if (!raw.TrimStart().StartsWith('|') || cells.Length != 5 || !int.TryParse(cells[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads)
                || !double.TryParse(cells[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double us))
            {
                continue;
            }

            string ratio = cells[4].TrimEnd('x', '×');
            csv.Append(Quote(cells[0])).Append(',').Append(threads.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Quote(cells[2])).Append(',')
               .Append(us.ToString("0.0", CultureInfo.InvariantCulture)).Append(',')
               .Append(double.TryParse(ratio, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty).Append('\n');
        }

        return csv.ToString();
    }

    private static string Quote(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
