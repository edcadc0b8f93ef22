using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Backprop.Training.Data;
using Xunit.Abstractions;

namespace Backprop.Properties.Training.Data;

/// <summary>
/// Hostile CSV files, generated: valid files with random mutations (bytes flipped, inserted,
/// deleted; NULs; garbage after numbers; duplicate header names; UTF-16 and Latin-1 text; wrong
/// cell counts; blank and CRLF lines), judged by a small reference reader written here from the
/// documented dialect. Where the reference reads data, the loader must read the same data; where it
/// finds a fault, the loader must throw a <see cref="DataFormatException"/> at the same line and
/// column. Messages are one short line. Huge headers and lines are refused in bounded memory.
/// </summary>
public partial class CsvHostileInputProperties(ITestOutputHelper output)
{
    private static readonly string[] Garbage = ["\0", "x", "#", ";", "e", "-", "+", " 2", "\u00A0", "\u2003", "\u00010", "1\0", "..", "e+", "0x1", "%", "\u00FF"];

    private static readonly string[] Words = ["a", "b", "x", "y", "id", "label", "pixel1", "Ünï", "c d", "", " "];

    [Fact]
    public void MutatedFilesLoadAsTheReferenceReadsThemOrFailWhereItFails()
    {
        var random = new Random(1130);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int cases = Environment.GetEnvironmentVariable("BACKPROP_FUZZ") == "soak" ? 50_000 : 3_000;
        for (int n = 0; n < cases; n++)
        {
            int seed = random.Next();
            (byte[] bytes, string kind) = HostileCsv(seed);
            bool asFloat = (seed & 1) == 0;
            Reference expected = Reference.Read(bytes, asFloat);
            string outcome;
            try
            {
                if (asFloat)
                {
                    Check(CsvLoader.Read<float>(new MemoryStream(bytes), null, "h.csv"), expected, seed, kind);
                }
                else
                {
                    Check(CsvLoader.Read<double>(new MemoryStream(bytes), null, "h.csv"), expected, seed, kind);
                }

                outcome = "loaded";
            }
            catch (DataFormatException e)
            {
                Assert.True(e.SourceName == "h.csv" && e.Message.StartsWith("h.csv", StringComparison.Ordinal), $"seed {seed} ({kind}): {e.Message}");
                Assert.True(!e.Message.Contains('\n', StringComparison.Ordinal) && !e.Message.Contains('\r', StringComparison.Ordinal) && e.Message.Length <= 400, $"seed {seed} ({kind}): not one short line: {e.Message}");
                if (expected.Fault is { } fault)
                {
                    Assert.True(fault.Line == e.Line, $"seed {seed} ({kind}): the reference fails at line {fault.Line} ({fault.What}), the loader at line {e.Line}: {e.Message}");
                    if (fault.Column is int column)
                    {
                        Assert.True(e.Column is not null && e.Column.StartsWith(column.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), $"seed {seed} ({kind}): the reference fails at column {column} ({fault.What}), the loader: {e.Message}");
                    }
                }
                else if (!expected.Unjudged)
                {
                    Assert.Fail($"seed {seed} ({kind}): the reference reads the file, the loader throws: {e.Message}");
                }

                outcome = "refused";
            }

            outcomes[$"{kind} → {outcome}"] = outcomes.GetValueOrDefault($"{kind} → {outcome}") + 1;
        }

        output.WriteLine($"{cases:N0} hostile CSV files:");
        foreach ((string key, int count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {count,6:N0}  {key}");
        }

        Assert.True(outcomes.Count(o => o.Key.EndsWith("loaded", StringComparison.Ordinal)) >= 3 && outcomes.Count(o => o.Key.EndsWith("refused", StringComparison.Ordinal)) >= 8, string.Join("; ", outcomes.Keys));
    }

    private static void Check<T>(LabeledData<T> data, Reference expected, int seed, string kind)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (expected.Unjudged)
        {
            return;
        }

        Assert.True(expected.Fault is null, $"seed {seed} ({kind}): the loader read the file; the reference fails at line {expected.Fault?.Line}, column {expected.Fault?.Column}: {expected.Fault?.What}");
        Assert.Equal(expected.Names.Where((_, i) => i != expected.Names.Count - 1), data.FeatureNames);
        Assert.Equal(expected.Rows.Count, data.Count);
        ReadOnlySpan<T> x = data.Features.Span;
        for (int r = 0; r < expected.Rows.Count; r++)
        {
            (double[] values, string label, long line) = expected.Rows[r];
            for (int c = 0; c < values.Length; c++)
            {
                Assert.True(T.CreateTruncating(values[c]) == x[(r * values.Length) + c], $"seed {seed} ({kind}): row {r}, column {c}: expected {values[c]}, read {x[(r * values.Length) + c]}");
            }

            Assert.Equal(label, data.ClassLabels[data.Labels.Span[r]]);
            Assert.Equal(line, data.Lines.Span[r]);
        }
    }

    /// <summary>A valid labelled CSV file (no quotes), then one mutation; the name of the mutation.</summary>
    internal static (byte[] Bytes, string Kind) HostileCsv(int seed)
    {
        var random = new Random(seed);
        int columns = random.Next(1, 6);
        int rows = random.Next(1, 8);
        string[] names = [.. Enumerable.Range(0, columns).Select(c => "f" + c), "label"];
        var lines = new List<string> { string.Join(',', names) };
        for (int r = 0; r < rows; r++)
        {
            lines.Add(string.Join(',', Enumerable.Range(0, columns).Select(_ => Number(random)).Append(r % 2 == 0 ? "p" : "q")));
        }

        string kind;
        switch (random.Next(10))
        {
            case 0:
                kind = "garbage after a number";
                {
                    int line = random.Next(1, lines.Count);
                    string[] cells = lines[line].Split(',');
                    int c = random.Next(columns);
                    cells[c] += Garbage[random.Next(Garbage.Length)];
                    lines[line] = string.Join(',', cells);
                }

                break;
            case 1:
                kind = "duplicate header name";
                {
                    string[] cells = lines[0].Split(',');
                    cells[random.Next(cells.Length)] = cells[random.Next(cells.Length)];
                    lines[0] = string.Join(',', cells);
                }

                break;
            case 2:
                kind = "wrong cell count";
                {
                    int line = random.Next(lines.Count);
                    lines[line] = random.Next(2) == 0 ? lines[line] + "," + Number(random) : lines[line][..Math.Max(0, lines[line].LastIndexOf(','))];
                }

                break;
            case 3:
                kind = "blank and CRLF lines";
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    lines.Insert(random.Next(1, lines.Count + 1), random.Next(2) == 0 ? string.Empty : " \t");
                }

                return (Encoding.UTF8.GetBytes(string.Join(random.Next(2) == 0 ? "\r\n" : "\n", lines)), kind);
            case 4:
                kind = "UTF-16";
                return ([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(string.Join('\n', lines) + "\n")], kind);
            case 5:
                kind = "Latin-1 name or label";
                {
                    int line = random.Next(lines.Count);
                    lines[line] = lines[line][..lines[line].LastIndexOf(',')] + ",Ünï";
                    return (Encoding.Latin1.GetBytes(string.Join('\n', lines) + "\n"), kind);
                }

            case 6:
                kind = "NUL bytes";
                {
                    byte[] b = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
                    var list = new List<byte>(b);
                    for (int i = random.Next(1, 3); i > 0; i--)
                    {
                        list.Insert(random.Next(list.Count + 1), 0);
                    }

                    return ([.. list], kind);
                }

            case 7:
                kind = "random header words";
                lines[0] = string.Join(',', Enumerable.Range(0, columns + 1).Select(_ => Words[random.Next(Words.Length)]));
                break;
            default:
                kind = "random byte edits";
                {
                    var list = new List<byte>(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
                    for (int i = random.Next(1, 4); i > 0; i--)
                    {
                        int at = random.Next(list.Count);
                        switch (random.Next(3))
                        {
                            case 0:
                                list[at] = (byte)random.Next(256);
                                break;
                            case 1:
                                list.Insert(at, (byte)"0123456789,.-e\n x\"\r\t"[random.Next(20)]);
                                break;
                            default:
                                list.RemoveAt(at);
                                break;
                        }
                    }

                    return ([.. list], kind);
                }
        }

        return (Encoding.UTF8.GetBytes(string.Join('\n', lines) + (random.Next(2) == 0 ? "\n" : string.Empty)), kind);
    }

    private static string Number(Random random) => random.Next(5) switch
    {
        0 => random.Next(-300, 300).ToString(CultureInfo.InvariantCulture),
        1 => (random.NextDouble() * 100).ToString("R", CultureInfo.InvariantCulture),
        2 => (random.NextDouble() * 1e30).ToString("E3", CultureInfo.InvariantCulture),
        3 => " " + random.Next(10).ToString(CultureInfo.InvariantCulture) + "\t",
        _ => "-0." + random.Next(1000).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The documented dialect, read plainly for files without quotes: lines split at LF (a CR before
    /// it dropped), blank lines (spaces and tabs only) skipped, a UTF-8 BOM skipped, cells split at
    /// commas; header names distinct strict UTF-8; a number is ASCII <c>[+-]digits[.digits][e[+-]digits]</c>
    /// between ASCII blanks (space, tab, VT, FF, CR), finite in the element type; a label is non-empty strict UTF-8, trimmed.
    /// </summary>
    private sealed class Reference
    {
        private static readonly UTF8Encoding Strict = new(false, true);

        public List<string> Names { get; } = [];

        public List<(double[] Values, string Label, long Line)> Rows { get; } = [];

        public (long Line, int? Column, string What)? Fault { get; private set; }

        /// <summary>The file holds quotes, whose rules this reference does not model: only the shape of the outcome is checked.</summary>
        public bool Unjudged { get; private set; }

        public static Reference Read(byte[] bytes, bool asFloat)
        {
            var result = new Reference();
            if (Array.IndexOf(bytes, (byte)'"') >= 0)
            {
                result.Unjudged = true;
                return result;
            }

            result.Parse(bytes, asFloat);
            return result;
        }

        private void Parse(byte[] bytes, bool asFloat)
        {
            var lines = new List<byte[]>();
            int start = 0;
            for (int i = 0; i <= bytes.Length; i++)
            {
                if (i == bytes.Length || bytes[i] == '\n')
                {
                    if (i > start || i < bytes.Length)
                    {
                        lines.Add(bytes[start..i]);
                    }

                    start = i + 1;
                }
            }

            if (lines.Count > 0 && lines[0].AsSpan().StartsWith("\uFEFF"u8))
            {
                lines[0] = lines[0][3..];
            }

            int columns = -1;
            var labels = new HashSet<string>(StringComparer.Ordinal);
            for (int l = 0; l < lines.Count; l++)
            {
                byte[] line = lines[l];
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line = line[..^1];
                }

                if (line.All(b => b is (byte)' ' or (byte)'\t'))
                {
                    continue;
                }

                long number = l + 1;
                byte[][] cells = Split(line);
                if (columns < 0)
                {
                    columns = cells.Length;
                    for (int c = 0; c < cells.Length; c++)
                    {
                        string? name = Decode(cells[c]);
                        if (name is null)
                        {
                            Fault = (number, c + 1, "header name not UTF-8");
                            return;
                        }

                        Names.Add(name);
                    }

                    if (Names.Distinct(StringComparer.Ordinal).Count() != Names.Count)
                    {
                        Fault = (number, null, "duplicate header name");
                        return;
                    }

                    if (columns < 2)
                    {
                        Fault = (0, null, "no feature columns");
                        return;
                    }

                    continue;
                }

                if (cells.Length != columns)
                {
                    Fault = (number, null, "cell count");
                    return;
                }

                double[] values = new double[columns - 1];
                for (int c = 0; c + 1 < columns; c++)
                {
                    string text = Encoding.Latin1.GetString(cells[c]);
                    if (!NumberPattern().IsMatch(text) || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || (asFloat ? !float.IsFinite((float)v) : !double.IsFinite(v)))
                    {
                        Fault = (number, c + 1, "not a number: " + text);
                        return;
                    }

                    values[c] = v;
                }

                string? label = Decode(cells[^1]);
                if (label is null)
                {
                    Fault = (number, columns, "label not UTF-8");
                    return;
                }

                if (label.Length == 0)
                {
                    Fault = (number, columns, "empty label");
                    return;
                }

                labels.Add(label);
                Rows.Add((values, label, number));
            }

            if (columns < 0)
            {
                Fault = (0, null, "empty file");
            }
            else if (Rows.Count == 0)
            {
                Fault = (0, null, "no rows");
            }
            else if (labels.Count < 2)
            {
                Fault = (0, columns, "one class");
            }
        }

        private static string? Decode(byte[] cell)
        {
            try
            {
                return Strict.GetString(cell).Trim();
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        private static byte[][] Split(byte[] line)
        {
            var cells = new List<byte[]>();
            int start = 0;
            for (int i = 0; i <= line.Length; i++)
            {
                if (i == line.Length || line[i] == ',')
                {
                    cells.Add(line[start..i]);
                    start = i + 1;
                }
            }

            return [.. cells];
        }
    }

    [GeneratedRegex(@"^[ \t\v\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\v\f\r]*$")]
    private static partial Regex NumberPattern();

    // ---- Targeted generators --------------------------------------------------------------------

    /// <summary>Random headers with one name repeated: refused at the header line, naming both columns, by the loader and by the prediction reader.</summary>
    [Fact]
    public void DuplicateHeaderNamesAreRefusedNamingBothColumns()
    {
        var random = new Random(77);
        for (int n = 0; n < 300; n++)
        {
            int count = random.Next(2, 30);
            string[] names = [.. Enumerable.Range(0, count).Select(i => "n" + i)];
            int first = random.Next(count - 1);
            int second = random.Next(first + 1, count);
            names[second] = names[first];
            int blanks = random.Next(3);
            string text = new string('\n', blanks) + string.Join(',', names) + "\n" + string.Join(',', Enumerable.Range(0, count).Select(i => i % 2)) + "\n";
            var e = Assert.Throws<DataFormatException>(() => CsvLoader.Read<float>(new MemoryStream(Encoding.UTF8.GetBytes(text)), null, "d.csv"));
            Assert.Contains($"columns {first + 1} and {second + 1} are both named '{names[first]}'", e.Message, StringComparison.Ordinal);
            Assert.Equal(blanks + 1, e.Line);

            using var reader = new CsvFeatureReader<float>(new MemoryStream(Encoding.UTF8.GetBytes(text)), count - 1, null, "p.csv", HeaderMode.Present);
            var p = Assert.Throws<DataFormatException>(() => reader.ReadBatch(new Backprop.Kernels.MatrixSpan<float>(new float[count - 1], 1, count - 1)));
            Assert.Contains($"columns {first + 1} and {second + 1}", p.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A valid number followed by garbage (a NUL, a letter, a second number, a non-ASCII space…) is refused with its file, line and column, quoting the cell.</summary>
    [Fact]
    public void TrailingGarbageInANumberIsRefusedWithItsPlace()
    {
        var random = new Random(5);
        for (int n = 0; n < 500; n++)
        {
            int columns = random.Next(1, 5);
            int rows = random.Next(1, 5);
            int badRow = random.Next(rows);
            int badColumn = random.Next(columns);
            string garbage = Garbage[random.Next(Garbage.Length)];
            var text = new StringBuilder(string.Join(',', Enumerable.Range(0, columns).Select(c => "f" + c)) + ",y\n");
            for (int r = 0; r < rows; r++)
            {
                text.AppendJoin(',', Enumerable.Range(0, columns).Select(c => random.Next(100).ToString(CultureInfo.InvariantCulture) + (r == badRow && c == badColumn ? garbage : string.Empty))).Append(r % 2 == 0 ? ",a\n" : ",b\n");
            }

            var e = Assert.Throws<DataFormatException>(() => CsvLoader.Read<double>(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())), null, "g.csv"));
            Assert.Equal("g.csv", e.SourceName);
            Assert.Equal(badRow + 2, e.Line);
            Assert.StartsWith($"{badColumn + 1} ('f{badColumn}')", e.Column, StringComparison.Ordinal);
            Assert.DoesNotContain('\0', e.Message);
        }
    }

    /// <summary>A 10 MB header of commas and a 20 MB line are refused before they cost more than a few tens of MiB; a 1 MB cell is quoted in at most 40 characters.</summary>
    [Fact]
    public void HugeHeadersAndLinesAreRefusedInBoundedMemory()
    {
        byte[] commas = [.. Enumerable.Repeat((byte)',', 10_000_000), (byte)'\n', (byte)'1', (byte)'\n'];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => CsvLoader.Read<float>(new MemoryStream(commas), null, "commas.csv"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"10 MB header of commas: {allocated / (1 << 20):N0} MiB allocated; {e.Message}");
        Assert.Contains("more than 1,048,576 cells", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L << 20, $"allocated {allocated:N0} bytes");

        byte[] line = [.. Enumerable.Repeat((byte)'7', 20 << 20)];
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<DataFormatException>(() => CsvLoader.Read<float>(new MemoryStream(line), null, "long.csv"));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"20 MB line: {allocated / (1 << 20):N0} MiB allocated; {e.Message}");
        Assert.Contains("longer than 16 MiB", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L << 20, $"allocated {allocated:N0} bytes");

        string cell = new('z', 1 << 20);
        e = Assert.Throws<DataFormatException>(() => CsvLoader.Read<float>(new MemoryStream(Encoding.UTF8.GetBytes($"a,b\n{cell},x\n1,y\n")), null, "wide.csv"));
        Assert.True(e.Message.Length < 200, $"{e.Message.Length} characters");
        Assert.Contains(new string('z', 40) + "…'", e.Message, StringComparison.Ordinal);
    }
}
