using System.Globalization;
using System.Text;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>Number formatting for the reports: invariant culture, fixed rules, so output is byte-for-byte stable.</summary>
internal static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>GFLOP/s, one decimal.</summary>
    public static string Gflops(double? value) => value is double v ? v.ToString("F1", Inv) : "";

    /// <summary>A ratio written as a speed: two decimals and ×.</summary>
    public static string Speed(double? value) => value is double v && double.IsFinite(v) ? v.ToString("F2", Inv) + "×" : "";

    /// <summary>About three significant digits: 1.23, 12.3, 123, 1,234.</summary>
    public static string Sig3(double v) =>
        Math.Abs(v) < 9.995 ? v.ToString("F2", Inv) : Math.Abs(v) < 99.95 ? v.ToString("F1", Inv) : v.ToString("N0", Inv);

    /// <summary>A time in nanoseconds with a unit chosen by size: ns, µs (below 10,000 µs), ms, s.</summary>
    public static string TimeNs(double? ns)
    {
        if (ns is not double v || !double.IsFinite(v))
        {
            return "";
        }

        return v < 1e3 ? Sig3(v) + " ns"
            : v < 1e7 ? Sig3(v / 1e3) + " µs"
            : v < 1e10 ? Sig3(v / 1e6) + " ms"
            : Sig3(v / 1e9) + " s";
    }

    /// <summary>A time in microseconds, as <see cref="TimeNs"/>.</summary>
    public static string TimeUs(double? us) => TimeNs(us * 1e3);

    /// <summary>A rate with k/M/G suffix: 38.7 M, 86.9 k.</summary>
    public static string Rate(double? value)
    {
        if (value is not double v || !double.IsFinite(v))
        {
            return "";
        }

        return v >= 1e9 ? Sig3(v / 1e9) + " G" : v >= 1e6 ? Sig3(v / 1e6) + " M" : v >= 1e3 ? Sig3(v / 1e3) + " k" : Sig3(v);
    }

    /// <summary>Bytes as an integer: "0 B", "1,234 B"; empty when unknown.</summary>
    public static string Bytes(long? value) => value is long v ? v.ToString("N0", Inv) + " B" : "";

    /// <summary>A size in MiB (a process's peak memory), or "".</summary>
    public static string MiB(long? value) => value is long v ? (v / 1048576.0).ToString("N0", Inv) + " MiB" : "";

    /// <summary>An integer, invariant.</summary>
    public static string Int(long value) => value.ToString(Inv);

    /// <summary>
    /// A markdown table. <paramref name="rightAligned"/>[i] right-aligns column i (numbers); cells are
    /// escaped for <c>|</c>.
    /// </summary>
    public static void Table(StringBuilder md, IReadOnlyList<string> header, IReadOnlyList<bool> rightAligned, IEnumerable<IReadOnlyList<string>> rows)
    {
        md.Append('|');
        foreach (string h in header)
        {
            md.Append(' ').Append(Cell(h)).Append(" |");
        }

        md.Append("\n|");
        for (int i = 0; i < header.Count; i++)
        {
            md.Append(rightAligned[i] ? "--:|" : "---|");
        }

        md.Append('\n');
        foreach (IReadOnlyList<string> row in rows)
        {
            md.Append('|');
            foreach (string c in row)
            {
                md.Append(' ').Append(Cell(c)).Append(" |");
            }

            md.Append('\n');
        }

        md.Append('\n');
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
