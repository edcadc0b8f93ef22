using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks.Reporting;

/// <summary>A benchmark parameter that knows how many floating-point operations one invocation performs.</summary>
public interface IHasFlops
{
    /// <summary>Floating-point operations per invocation (2·m·n·k for a GEMM).</summary>
    double Flops { get; }
}

/// <summary>GFLOP/s column: the <see cref="IHasFlops"/> parameter's work divided by the mean time.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Billions of floating-point operations per second (2·m·n·k / mean time)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        IHasFlops? work = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IHasFlops>().FirstOrDefault();
        BenchmarkReport? report = summary[benchmarkCase];
        double? meanNs = report?.ResultStatistics?.Mean;
        return work is null || meanNs is not > 0 ? "-" : (work.Flops / meanNs.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
