using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks;

/// <summary>
/// One entry point for every suite: <c>dotnet run -c Release --project benchmarks -- --filter '*Gemm*'</c>.
/// Every suite runs the width jobs of <see cref="Reporting.Jobs"/> (<c>BACKPROP_VECTOR_BITS=256</c> and <c>=512</c>); <c>--quick</c> runs each
/// case once instead (a smoke run). BenchmarkDotNet's other switches apply (<c>--list flat</c>, ...).
/// A full run writes its results to <c>benchmarks/results/&lt;cpu&gt;/</c> (see <see cref="Reporting.ResultsExporter"/>);
/// <c>--results &lt;dir&gt;</c> writes them elsewhere (also for a quick run, to check the export);
/// <c>--widths 512</c> runs only the width jobs of those widths.
/// <c>suite</c> runs every suite a reader needs, within a stated time budget, and then the report;
/// <c>report</c> turns those files into the per-CPU README, charts and the root README's performance
/// section; <c>cold-start</c> times the first calls in fresh processes; <c>time-to-accuracy</c> trains the
/// Fashion-MNIST default recipe to 0.89 and 0.90 test accuracy (EndToEnd); <c>peak</c> prints the measured FMA peak of one core;
/// <c>peer-reference</c> and <c>e2e-reference</c> write this project's steps for the Python peers to check theirs against.
/// </summary>
public static class Program
{
    /// <returns>0, or 1 when a benchmark failed (a result that did not match the reference, a crash).</returns>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "report")
        {
            return Reporting.Report.ReportCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "suite")
        {
            return Reporting.SuiteCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "cold-start")
        {
            return ColdStart.ColdStartCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "time-to-accuracy")
        {
            return EndToEnd.TimeToAccuracyCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "peer-reference")
        {
            return Peers.PeerReference.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "e2e-reference")
        {
            return Peers.EndToEndReference.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "peak")
        {
            // The measured FMA peak of one core at every accelerated width, without BenchmarkDotNet.
            foreach (int bits in new[] { 128, 256, 512 })
            {
                if (Kernels.FmaPeak.Works<float>().Any(w => w.Bits == bits))
                {
                    Console.WriteLine($"{bits}-bit FMA peak, one core: float {Kernels.FmaPeak.MeasureGflopsAt<float>(bits):F1} GFLOP/s, double {Kernels.FmaPeak.MeasureGflopsAt<double>(bits):F1} GFLOP/s");
                }
            }

            return 0;
        }

        Reporting.Jobs.Quick = args.Contains("--quick");
        int resultsAt = Array.IndexOf(args, "--results");
        string? resultsFolder = resultsAt >= 0 && resultsAt + 1 < args.Length ? Path.GetFullPath(args[resultsAt + 1]) : null;
        int widthsAt = Array.IndexOf(args, "--widths");
        if (widthsAt >= 0)
        {
            if (widthsAt + 1 >= args.Length || args[widthsAt + 1].Split(',').Any(w => !int.TryParse(w, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
            {
                Console.Error.WriteLine("error: --widths needs vector widths such as 512 or 256,512.");
                return 2;
            }

            Reporting.Jobs.OnlyWidths = [.. args[widthsAt + 1].Split(',').Select(w => int.Parse(w, System.Globalization.CultureInfo.InvariantCulture))];
        }

        string[] benchmarkArgs = [.. args.Where((a, i) => a != "--quick" && (resultsAt < 0 || (i != resultsAt && i != resultsAt + 1)) && (widthsAt < 0 || (i != widthsAt && i != widthsAt + 1)))];
        Summary[] summaries = [.. BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(benchmarkArgs)];
        if (summaries.Length > 0 && (!Reporting.Jobs.Quick || resultsFolder is not null))
        {
            string written = Reporting.ResultsExporter.Export(summaries, resultsFolder);
            Console.WriteLine($"results written to {written}; regenerate the report with: dotnet run -c Release --project benchmarks -- report");
        }

        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        if (failed)
        {
            Console.Error.WriteLine("error: at least one benchmark failed; see the log above.");
        }

        return failed ? 1 : 0;
    }
}
