using System.Collections.Concurrent;
using System.Globalization;
using Backprop.Benchmarks.Kernels;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// "% of peak": a case's GFLOP/s as a share of one core's FMA peak for its element type, measured
/// once per type in the reporting process (<see cref="FmaPeak.MeasureGflops{T}"/>, the widest
/// accelerated width; <c>FmaPeakBenchmarks</c> records the same figure per width in the results folder).
/// </summary>
public sealed class PercentOfPeakColumn : IColumn
{
    private static readonly ConcurrentDictionary<Type, double> Peaks = new();

    public string Id => nameof(PercentOfPeakColumn);

    public string ColumnName => "% of peak";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "GFLOP/s as a percentage of one core's measured FMA peak for the element type (FmaPeakBenchmarks)";

    /// <summary>The peak GFLOP/s of <paramref name="elementType"/> (float or double), measured on first use.</summary>
    public static double Peak(Type elementType) =>
        Peaks.GetOrAdd(elementType, t => t == typeof(double) ? FmaPeak.MeasureGflops<double>() : FmaPeak.MeasureGflops<float>());

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        IHasFlops? work = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IHasFlops>().FirstOrDefault();
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        Type type = benchmarkCase.Descriptor.Type;
        Type element = type.IsGenericType ? type.GetGenericArguments()[0] : typeof(float);
        return work is null || meanNs is not > 0 ? "-" : (100 * work.Flops / meanNs.Value / Peak(element)).ToString("F0", CultureInfo.InvariantCulture);
    }
}
