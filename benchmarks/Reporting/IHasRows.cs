using System.Globalization;
using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks.Reporting;

/// <summary>A benchmark parameter that knows how many training rows one invocation processes.</summary>
public interface IHasRows
{
    /// <summary>Training rows per invocation.</summary>
    int Rows { get; }
}

/// <summary>Rows per invocation of a case, for the rows-per-second numbers.</summary>
public static class CaseRows
{
    /// <summary>
    /// The <see cref="IHasRows"/> parameter's rows, else the batch of a <c>Case</c> string such as
    /// <c>784-256-10x128</c> (one training step); null when the case has neither.
    /// </summary>
    public static int? Of(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        if (benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IHasRows>().FirstOrDefault() is { } hasRows)
        {
            return hasRows.Rows;
        }

        return benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Case")?.Value is string text
            && text.LastIndexOf('x') is int x and > 0
            && int.TryParse(text.AsSpan(x + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out int rows)
                ? rows
                : null;
    }
}
