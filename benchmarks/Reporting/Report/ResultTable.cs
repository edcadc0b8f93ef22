using System.Globalization;
using System.Text;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>A results file that cannot be read: names the file and line; the command exits with 2.</summary>
internal sealed class ReportInputException(string message) : Exception(message);

/// <summary>One row of a suite CSV (the tidy schema written by the benchmark run).</summary>
internal sealed record ResultRow(
    string Suite,
    string Type,
    string Method,
    string Job,
    int Width,
    string Parameters,
    IReadOnlyList<KeyValuePair<string, string>> ParameterPairs,
    double MeanNs,
    double MedianNs,
    double StdDevNs,
    double? Ratio,
    double? GflopsPerSec,
    double? RowsPerSec,
    long? AllocatedBytes)
{
    /// <summary>The value of parameter <paramref name="name"/>, or null.</summary>
    public string? Parameter(string name)
    {
        foreach (KeyValuePair<string, string> p in ParameterPairs)
        {
            if (p.Key == name)
            {
                return p.Value;
            }
        }

        return null;
    }

    /// <summary>The parameters without <paramref name="name"/>, joined as in the CSV.</summary>
    public string ParametersWithout(string name) =>
        string.Join("; ", ParameterPairs.Where(p => p.Key != name).Select(p => p.Key + "=" + p.Value));
}

/// <summary>One suite: the rows of one <c>&lt;Suite&gt;.csv</c>, in file order.</summary>
internal sealed record SuiteResults(string Name, string FileName, IReadOnlyList<ResultRow> Rows);

/// <summary>One row of <c>cold-start.csv</c>.</summary>
internal sealed record ColdStartRow(string Case, string Variant, string Call, double MedianUs, double MinUs, double MaxUs, int Launches);

/// <summary>One row of <c>aot-step.csv</c>: a build of samples/AotStep, its thread count, the kernels it ran, its median step time and its ratio to the JIT's.</summary>
internal sealed record AotRow(string Configuration, int Threads, string Kernels, double MedianUs, double? VsJit);

/// <summary>Reads the tidy CSVs of a results folder.</summary>
internal static class ResultTable
{
    public const string Header = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes";

    public const string ColdStartHeader = "Case,Variant,Call,MedianUs,MinUs,MaxUs,Launches";

    public const string ColdStartFile = "cold-start.csv";

    /// <summary>Every suite CSV in <paramref name="folder"/> (all <c>*.csv</c> but the cold-start file), sorted by file name.</summary>
    public static IReadOnlyList<SuiteResults> LoadSuites(string folder)
    {
        var suites = new List<SuiteResults>();
        foreach (string path in Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(path) is ColdStartFile or AotTable.FileName)
            {
                continue;
            }

            suites.Add(LoadSuite(path));
        }

        return suites;
    }

    /// <summary>Reads one suite CSV.</summary>
    /// <exception cref="ReportInputException">A bad header, field count or number.</exception>
    public static SuiteResults LoadSuite(string path)
    {
        string file = Path.GetFileName(path);
        List<string[]> records = ReadRecords(path, Header);
        var rows = new List<ResultRow>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            string[] f = records[i];
            var at = new Location(path, i + 2);
            int width = (int)Number(f[4], "Width", at, required: true)!.Value;
            if (string.IsNullOrWhiteSpace(f[0]) || string.IsNullOrWhiteSpace(f[1]) || string.IsNullOrWhiteSpace(f[2]))
            {
                throw at.Error("Suite, Type and Method must not be empty");
            }

            double? allocated = Number(f[12], "AllocatedBytes", at, required: false);
            rows.Add(new ResultRow(
                Suite: f[0],
                Type: f[1],
                Method: f[2],
                Job: f[3],
                Width: width,
                Parameters: f[5],
                ParameterPairs: ParseParameters(f[5], at),
                MeanNs: Number(f[6], "MeanNs", at, required: true)!.Value,
                MedianNs: Number(f[7], "MedianNs", at, required: false) ?? double.NaN,
                StdDevNs: Number(f[8], "StdDevNs", at, required: false) ?? double.NaN,
                Ratio: Number(f[9], "Ratio", at, required: false),
                GflopsPerSec: Number(f[10], "GflopsPerSec", at, required: false),
                RowsPerSec: Number(f[11], "RowsPerSec", at, required: false),
                AllocatedBytes: allocated is null ? null : (long)Math.Round(allocated.Value)));
        }

        string name = rows.Count > 0 ? rows[0].Suite : Path.GetFileNameWithoutExtension(file);
        return new SuiteResults(name, file, rows);
    }

    /// <summary>Reads <c>cold-start.csv</c> if the folder has one.</summary>
    public static IReadOnlyList<ColdStartRow>? LoadColdStart(string folder)
    {
        string path = Path.Combine(folder, ColdStartFile);
        if (!File.Exists(path))
        {
            return null;
        }

        List<string[]> records = ReadRecords(path, ColdStartHeader);
        var rows = new List<ColdStartRow>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            string[] f = records[i];
            var at = new Location(path, i + 2);
            rows.Add(new ColdStartRow(
                f[0],
                f[1],
                f[2],
                Number(f[3], "MedianUs", at, required: true)!.Value,
                Number(f[4], "MinUs", at, required: false) ?? double.NaN,
                Number(f[5], "MaxUs", at, required: false) ?? double.NaN,
                (int)(Number(f[6], "Launches", at, required: false) ?? 0)));
        }

        return rows;
    }

    /// <summary>Reads <c>aot-step.csv</c> if the folder has one.</summary>
    public static IReadOnlyList<AotRow>? LoadAot(string folder)
    {
        string path = Path.Combine(folder, AotTable.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        List<string[]> records = ReadRecords(path, AotTable.Header);
        var rows = new List<AotRow>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            string[] f = records[i];
            var at = new Location(path, i + 2);
            rows.Add(new AotRow(f[0], (int)Number(f[1], "Threads", at, required: true)!.Value, f[2], Number(f[3], "MedianUs", at, required: true)!.Value, Number(f[4], "VsJit", at, required: false)));
        }

        return rows;
    }

    /// <summary><c>Name=Value</c> pairs joined by <c>; </c>.</summary>
    private static List<KeyValuePair<string, string>> ParseParameters(string text, Location at)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (text.Length == 0)
        {
            return pairs;
        }

        foreach (string part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw at.Error($"Parameters: '{part}' is not Name=Value");
            }

            pairs.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        return pairs;
    }

    private static double? Number(string text, string column, Location at, bool required)
    {
        if (text.Length == 0)
        {
            return required ? throw at.Error($"{column} is empty") : null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw at.Error($"{column}: '{text}' is not a number (invariant culture, e.g. 1234.5)");
        }

        return value;
    }

    /// <summary>Records after the header line, each with the header's field count.</summary>
    private static List<string[]> ReadRecords(string path, string header)
    {
        string[] lines = File.ReadAllLines(path);
        int columns = header.Split(',').Length;
        if (lines.Length == 0 || lines[0].TrimStart('\uFEFF').TrimEnd() != header)
        {
            string found = lines.Length == 0 ? "an empty file" : $"'{lines[0]}'";
            throw new ReportInputException($"{path}:1: the header must be exactly '{header}', found {found}");
        }

        var records = new List<string[]>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            var at = new Location(path, i + 1);
            string[] fields = SplitCsvLine(lines[i], at);
            if (fields.Length != columns)
            {
                throw at.Error($"expected {columns} fields ({header}), found {fields.Length}");
            }

            records.Add(fields);
        }

        return records;
    }

    /// <summary>Splits one CSV line (RFC 4180 quoting: "a,b" and "" inside quotes).</summary>
    internal static string[] SplitCsvLine(string line, Location at)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw at.Error("unterminated quoted field");
        }

        fields.Add(field.ToString());
        return [.. fields];
    }

    /// <summary>A file and 1-based line number, for error messages.</summary>
    internal readonly record struct Location(string Path, int Line)
    {
        public ReportInputException Error(string what) =>
            new(string.Create(CultureInfo.InvariantCulture, $"{Path}:{Line}: {what}"));
    }
}
