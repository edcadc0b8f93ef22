using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks;

/// <summary>
/// One entry point for every suite: <c>dotnet run -c Release --project benchmarks -- --filter '*Gemm*'</c>.
/// Every suite runs the 256- and 512-bit jobs of <see cref="Reporting.Jobs"/>; <c>--quick</c> runs each
/// case once instead (a smoke run). BenchmarkDotNet's other switches apply (<c>--list flat</c>, ...).
/// </summary>
public static class Program
{
    /// <returns>0, or 1 when a benchmark failed (a result that did not match the reference, a crash).</returns>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cold-start") { return ColdStart.ColdStartCommand.Run(args[1..]); }
        ArgumentNullException.ThrowIfNull(args);
        Reporting.Jobs.Quick = args.Contains("--quick");
        Summary[] summaries = [.. BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. args.Where(a => a != "--quick")])];
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        if (failed)
        {
            Console.Error.WriteLine("error: at least one benchmark failed; see the log above.");
        }

        return failed ? 1 : 0;
    }
}
