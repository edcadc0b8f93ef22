using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// Writes a run's results into <c>benchmarks/results/&lt;cpu&gt;/</c>: per suite a tidy CSV
/// (<see cref="Header"/>; one row per benchmark case, times in ns; rows of other types and methods
/// already there are kept, so suites can be rerun in parts) and BenchmarkDotNet's own GitHub table per suite and type, plus
/// <c>environment.md</c> (BenchmarkDotNet, OS, CPU, .NET, date). The report command builds the
/// per-CPU README, the charts and the root README's performance section from these files.
/// </summary>
public static class ResultsExporter
{
    /// <summary>The CSV header; the report command parses exactly these columns.</summary>
    public const string Header = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes";

    /// <summary>Exports every summary of a full (not <c>--quick</c>) run; returns the folder written.</summary>
    /// <param name="summaries">The run's summaries, one per benchmark class and type argument.</param>
    /// <param name="folder">Target folder (default: <see cref="ResultsFolder.ForThisMachine"/>).</param>
    public static string Export(IEnumerable<Summary> summaries, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        folder ??= ResultsFolder.ForThisMachine();
        Directory.CreateDirectory(folder);
        foreach (Summary summary in summaries.Where(s => s.Reports.Length > 0))
        {
            BenchmarkCase first = summary.BenchmarksCases[0];
            string suite = SuiteName(first.Descriptor.Type);
            string type = TypeName(first.Descriptor.Type);
            WriteCsv(Path.Combine(folder, suite + ".csv"), [.. summary.BenchmarksCases.Select(c => Row(summary, c, suite, type)).OfType<string>()]);
            WriteMarkdown(Path.Combine(folder, $"{suite}-{type}.md"), summary, suite, type);
            File.WriteAllText(Path.Combine(folder, "environment.md"), Environment(summary));
        }

        return folder;
    }

    /// <summary>The class name without namespace or generic arity, e.g. <c>GemmBenchmarks</c>.</summary>
    internal static string SuiteName(Type type)
    {
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    /// <summary><c>float</c>, <c>double</c>, or <c>-</c> for suites without an element type argument.</summary>
    internal static string TypeName(Type type) =>
        type.IsGenericType ? type.GetGenericArguments()[0] == typeof(double) ? "double" : "float" : "-";

    private static string? Row(Summary summary, BenchmarkCase c, string suite, string type)
    {
        BenchmarkReport? report = summary[c];
        if (report?.ResultStatistics is not { } stats)
        {
            return null; // failed case: nothing honest to write
        }

        BenchmarkCase? baseline = summary.GetBaseline(summary.GetLogicalGroupKey(c));
        double? baselineMean = baseline is null ? null : summary[baseline]?.ResultStatistics?.Mean;
        string ratio = baselineMean is > 0 ? Number(stats.Mean / baselineMean.Value, "F4") : string.Empty;

        IHasFlops? flops = c.Parameters.Items.Select(p => p.Value).OfType<IHasFlops>().FirstOrDefault();
        string gflops = flops is null ? string.Empty : Number(flops.Flops / stats.Mean, "F2");

        string rowsPerSecond = CaseRows.Of(c) is int rows ? Number(rows / (stats.Mean * 1e-9), "F0") : string.Empty;

        long? allocated = report.GcStats.GetBytesAllocatedPerOperation(c);
        string parameters = string.Join("; ", c.Parameters.Items.Select(p => $"{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));
        string method = c.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
        return string.Join(
            ',',
            Field(suite),
            Field(type),
            Field(method),
            Field(c.Job.ResolvedId),
            KernelWidth(c).ToString(CultureInfo.InvariantCulture),
            Field(parameters),
            Number(stats.Mean, "F1"),
            Number(stats.Median, "F1"),
            Number(stats.StandardDeviation, "F1"),
            ratio,
            gflops,
            rowsPerSecond,
            allocated?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
    }

    /// <summary>
    /// The kernel width the job's process ran at: pinned by BACKPROP_VECTOR_BITS, capped at 256 by
    /// DOTNET_EnableAVX512=0, 512 under the older DOTNET_MaxVectorTBitWidth=512 jobs, else what a
    /// default process picks on this machine (<see cref="Backprop.Kernels.KernelSimd.HardwareBits"/>;
    /// before the kernels chose their width at run time, a default process ran 256-bit <c>Vector&lt;T&gt;</c>).
    /// </summary>
    internal static int KernelWidth(BenchmarkCase c)
    {
        var env = (c.Job.Environment.EnvironmentVariables ?? []).ToDictionary(v => v.Key, v => v.Value);
        int hardware = Backprop.Kernels.KernelSimd.HardwareBits;
        if (env.TryGetValue(Backprop.Kernels.KernelSimd.EnvironmentVariable, out string? pinned) && int.TryParse(pinned, CultureInfo.InvariantCulture, out int bits))
        {
            return Math.Min(bits, hardware);
        }

        if (env.TryGetValue("DOTNET_EnableAVX512", out string? avx512) && avx512 == "0")
        {
            return Math.Min(256, hardware);
        }

        return env.TryGetValue("DOTNET_MaxVectorTBitWidth", out string? wide) && wide == "512" ? 512 : hardware;
    }

    /// <summary>
    /// Writes the suite's CSV: the new rows replace earlier rows of the same element type and method
    /// (so rerunning one method or one type keeps the rest of the file), other rows are kept.
    /// </summary>
    private static void WriteCsv(string path, IReadOnlyList<string> rows)
    {
        // Columns 2 and 3 are the type and the method; neither ever contains a comma or a quote.
        static (string Type, string Method) Key(string line)
        {
            string[] fields = line.Split(',', 4);
            return (fields[1], fields[2]);
        }

        HashSet<(string, string)> replaced = [.. rows.Select(Key)];
        var all = new List<string>();
        if (File.Exists(path))
        {
            string[] lines = File.ReadAllLines(path);
            if (lines.Length > 0 && lines[0] == Header)
            {
                all.AddRange(lines.Skip(1).Where(l => l.Length > 0 && !replaced.Contains(Key(l))));
            }
        }

        all.AddRange(rows);
        var text = new StringBuilder(Header).Append('\n');
        // Float rows first, then double; within a type, the order they were run in.
        foreach (string line in all.OrderBy(l => Key(l).Type == "double" ? 1 : 0))
        {
            text.Append(line).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    private static void WriteMarkdown(string path, Summary summary, string suite, string type)
    {
        var log = new AccumulationLogger();
        log.WriteLine($"# {suite} ({type})");
        log.WriteLine();
        log.WriteLine($"Written by the benchmark run on {DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}; the tidy numbers are in `{suite}.csv`.");
        log.WriteLine();
        MarkdownExporter.GitHub.ExportToLog(summary, log);
        File.WriteAllText(path, log.GetLog().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private static string Environment(Summary summary)
    {
        var text = new StringBuilder();
        text.Append("- Run: ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\n');
        foreach (string line in summary.HostEnvironmentInfo.ToFormattedString())
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                text.Append("- ").Append(line.Trim()).Append('\n');
            }
        }

        text.Append("- Logical processors: ").Append(System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("- Kernel width of a default process: ").Append(Backprop.Kernels.KernelSimd.HardwareBits.ToString(CultureInfo.InvariantCulture))
            .Append(" bits (fused multiply-add: ").Append(Backprop.Kernels.KernelSimd.FusedMultiplyAdd ? "yes" : "no").Append(")\n");
        return text.ToString();
    }

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Field(string value) =>
        value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}
