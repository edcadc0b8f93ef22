using System.Diagnostics;
using System.Globalization;
using Backprop.Benchmarks.Commands;
using Backprop.Benchmarks.Peers;
using Backprop.Benchmarks.Reporting;

namespace Backprop.Benchmarks.ColdStart;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- cold-start [--launches N] [--quick] [--out DIR]</c>:
/// first-call time of GEMM and of a training step, each in fresh child processes of this executable
/// under several runtime configurations (<see cref="ColdStartVariant"/>), written to
/// <c>cold-start.csv</c> and <c>cold-start.md</c> in <c>DIR</c> (default
/// <see cref="ResultsFolder.ForThisMachine"/>).
/// </summary>
/// <remarks>
/// The hidden child mode is <c>cold-start --child &lt;case id&gt; [settings]</c>; it prints one
/// <see cref="ChildResult"/> line. Launches go round-robin over cases and variants, so a slow spell
/// on a shared machine spreads over all of them rather than landing on one.
/// </remarks>
public static class ColdStartCommand
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(2);

    /// <returns>0 on success, 1 when a child failed, 2 on a bad command line.</returns>
    public static int Run(string[] args) =>
        CommandArguments.Run("cold-start", "[--launches N (default 10)] [--quick] [--out DIR]", args, RunParent, RunChild);

    private static int RunChild(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("--child needs a case id.");
        }

        ColdStartCase c = ColdStartCase.Find(args[0]);
        ChildSettings s = ChildSettings.Full;
        for (int i = 1; i < args.Length; i++)
        {
            string option = args[i];
            int n = CommandArguments.Positive(option, CommandArguments.Value(args, ref i));
            s = option switch
            {
                "--calls" => s with { Calls = n },
                "--steady-warmup-ms" => s with { SteadyWarmupMs = n },
                "--steady-from" => s with { SteadyFrom = n },
                "--steady-count" => s with { SteadyCount = n },
                _ => throw new ArgumentException($"unknown child option {option}."),
            };
        }

        return ColdStartChild.Run(c, s);
    }

    private static int RunParent(string[] args)
    {
        int launches = 10;
        bool quick = false;
        string? outDir = null;
        bool launchesGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--launches":
                    launches = CommandArguments.Positive("--launches", CommandArguments.Value(args, ref i));
                    launchesGiven = true;
                    break;
                case "--out":
                    outDir = CommandArguments.Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}.");
            }
        }

        if (quick && !launchesGiven)
        {
            launches = 2;
        }

        ChildSettings settings = quick ? ChildSettings.Quick : ChildSettings.Full;
        IReadOnlyList<ColdStartVariant> variants = quick ? ColdStartVariant.Quick : ColdStartVariant.All;
        var notes = new List<string>();
        var cases = new List<ColdStartCase>();
        foreach (ColdStartCase c in ColdStartCase.All)
        {
            if (c.Kind == ColdStartKind.OpenBlasGemm && !OpenBlas.IsAvailable)
            {
                notes.Add($"{c.Name} skipped: libopenblas.so.0 not found (apt-get install libopenblas-dev).");
                continue;
            }

            cases.Add(c);
        }

        var runs = cases.SelectMany(c => (c.AllVariants ? variants : variants.Take(1)).Select(v => (Case: c, Variant: v))).ToList();
        string directory = CommandArguments.OutputFolder(outDir);
        string commandLine = "dotnet run -c Release --project benchmarks -- cold-start" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold-start: {runs.Count} case/variant pairs × {launches} launches, round-robin; results to {directory}"));

        var results = runs.ToDictionary(r => r, _ => new List<ChildResult>());
        var clock = Stopwatch.StartNew();
        for (int launch = 1; launch <= launches; launch++)
        {
            foreach ((ColdStartCase c, ColdStartVariant v) in runs)
            {
                results[(c, v)].Add(Launch(c, v, settings));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  launch round {launch}/{launches} done ({clock.Elapsed.TotalSeconds:F0} s)"));
        }

        var report = new ColdStartReport(
            [.. runs.Select(r => new ColdStartRow(r.Case, r.Variant, results[r]))],
            launches,
            settings,
            quick,
            commandLine,
            notes);
        string csv = Path.Combine(directory, "cold-start.csv");
        string md = Path.Combine(directory, "cold-start.md");
        File.WriteAllText(csv, report.Csv());
        string markdown = report.Markdown();
        File.WriteAllText(md, markdown);
        Console.WriteLine();
        Console.WriteLine(report.Table());
        foreach (string warning in report.Warnings)
        {
            Console.WriteLine($"warning: {warning}");
        }

        Console.WriteLine($"wrote {csv}");
        Console.WriteLine($"wrote {md}");
        return 0;
    }

    /// <summary>Runs one child of this executable (<see cref="ChildProcess"/>) for a case under a variant and parses its line.</summary>
    /// <exception cref="ChildProcessException">The child failed or printed no result.</exception>
    internal static ChildResult Launch(ColdStartCase c, ColdStartVariant v, ChildSettings settings)
    {
        ProcessStartInfo info = ChildProcess.StartInfo(["cold-start", "--child", c.Id, .. settings.ToArguments()]);
        foreach (string knob in ColdStartVariant.ControlledKnobs)
        {
            info.Environment.Remove("DOTNET_" + knob);
            info.Environment.Remove("COMPlus_" + knob);
        }

        foreach ((string key, string value) in v.Environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["OPENBLAS_NUM_THREADS"] = "1"; // the library runs on one thread here too
        // OpenBLAS's kernel set at the children's Vector<T> width, as in the BenchmarkDotNet jobs: left to
        // itself it may not recognise a virtualised CPU and fall back to slow generic kernels.
        info.Environment["OPENBLAS_CORETYPE"] = System.Numerics.Vector<float>.Count >= 16 ? "SkylakeX" : "Haswell";

        string what = $"the child for '{c.Name}' ({v.Name})";
        string output = ChildProcess.Run(info, ChildTimeout, what);
        try
        {
            return ChildResult.Parse(output);
        }
        catch (FormatException e)
        {
            throw new ChildProcessException($"{what}: {e.Message}");
        }
    }
}
