using System.Globalization;
using System.Text;
using Backprop.Kernels;
using Backprop.Training.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training.Data;

/// <summary>
/// The CSV loader against files generated here with known content: values written in several
/// notations, labels of any text, quoting, CRLF, BOM, blank lines, and streams that deliver a few
/// bytes at a time (so rows straddle every buffer boundary). Every user error is a
/// <see cref="DataFormatException"/> that names the line and column.
/// </summary>
public class CsvLoaderProperties
{
    /// <summary>A generated table: what it holds, and the CSV text that says so.</summary>
    public sealed record Table(int Seed, int Rows, int Features, string[] LabelsWritten, double[] Values, string Text, bool Crlf, bool Bom, int Chunk)
    {
        public override string ToString() => $"seed {Seed}: {Rows} rows × {Features} features, crlf {Crlf}, bom {Bom}, chunk {Chunk}";
    }

    private static readonly string[] LabelPool = ["cat", "dog", "a,b", "say \"hi\"", "Ünïcødé", "x y", "7", "-3", "10"];

    /// <summary>Writes a random table. Values are exactly representable in <paramref name="asFloat"/> precision so both element types can be checked bit for bit.</summary>
    internal static Table Generate(int seed, bool asFloat)
    {
        var random = new Random(seed);
        int rows = random.Next(2, 60);
        int features = random.Next(1, 9);
        bool numericLabels = random.Next(3) == 0;
        int classes = random.Next(2, 6);
        string[] pool = numericLabels ? ["0", "1", "2", "10", "-4", "33"] : LabelPool;
        string[] classLabels = [.. pool.OrderBy(_ => random.Next()).Take(classes)];
        bool crlf = random.Next(2) == 0;
        bool bom = random.Next(4) == 0;
        string nl = crlf ? "\r\n" : "\n";
        var text = new StringBuilder();
        if (bom)
        {
            text.Append('\uFEFF');
        }

        text.Append(string.Join(',', Enumerable.Range(0, features).Select(f => f % 3 == 0 ? $"\"f{f}\"" : $"f{f}"))).Append(",label").Append(nl);
        double[] values = new double[rows * features];
        string[] labels = new string[rows];
        for (int r = 0; r < rows; r++)
        {
            if (random.Next(10) == 0)
            {
                text.Append(nl); // blank lines are skipped
            }

            for (int f = 0; f < features; f++)
            {
                double v = random.Next(5) switch
                {
                    0 => random.Next(-1000, 1000),
                    1 => Math.Round((random.NextDouble() - 0.5) * 1e6) / 64,
                    2 => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30)),
                    3 => 0,
                    _ => random.NextDouble(),
                };
                string written;
                if (asFloat)
                {
                    float fv = (float)v;
                    v = fv;
                    written = random.Next(3) == 0 ? fv.ToString("E9", CultureInfo.InvariantCulture) : fv.ToString("R", CultureInfo.InvariantCulture);
                }
                else
                {
                    written = random.Next(3) == 0 ? v.ToString("E17", CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);
                }

                values[(r * features) + f] = v;
                text.Append(random.Next(8) == 0 ? $"\"{written}\"" : random.Next(8) == 0 ? $" {written} " : written).Append(',');
            }

            string label = classLabels[r < 2 ? r : random.Next(classes)]; // at least two classes
            labels[r] = label;
            text.Append(label.Contains(',') || label.Contains('"') ? "\"" + label.Replace("\"", "\"\"") + "\"" : label);
            if (r < rows - 1 || random.Next(2) == 0)
            {
                text.Append(nl);
            }
        }

        return new Table(seed, rows, features, labels, values, text.ToString(), crlf, bom, random.Next(1, 12));
    }

    private static Arbitrary<int> Seeds => Support.Gens.Seed.ToArbitrary();

    [Support.SizedProperty(MaxTest = 200)]
    public Property GeneratedFilesRoundTripInDouble() => Prop.ForAll(Seeds, seed => CheckRoundTrip<double>(Generate(seed, asFloat: false)));

    [Support.SizedProperty(MaxTest = 200)]
    public Property GeneratedFilesRoundTripInFloat() => Prop.ForAll(Seeds, seed => CheckRoundTrip<float>(Generate(seed, asFloat: true)));

    private static void CheckRoundTrip<T>(Table table)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        byte[] bytes = Encoding.UTF8.GetBytes(table.Text);
        LabeledData<T> whole = CsvLoader.Read<T>(new MemoryStream(bytes), sourceName: "gen.csv");
        LabeledData<T> trickled = CsvLoader.Read<T>(new TrickleStream(bytes, table.Chunk), sourceName: "gen.csv");
        foreach (LabeledData<T> data in new[] { whole, trickled })
        {
            Assert.Equal(table.Rows, data.Count);
            Assert.Equal(Enumerable.Range(0, table.Features).Select(f => $"f{f}"), data.FeatureNames);
            string[] expectedClasses = ExpectedClassOrder(table.LabelsWritten);
            Assert.Equal(expectedClasses, data.ClassLabels);
            Assert.Equal(expectedClasses, data.ClassNames);
            ReadOnlySpan<T> x = data.Features.Span;
            for (int i = 0; i < table.Values.Length; i++)
            {
                Assert.Equal(T.CreateTruncating(table.Values[i]), x[i]);
            }

            for (int r = 0; r < table.Rows; r++)
            {
                Assert.Equal(table.LabelsWritten[r], data.ClassLabels[data.Labels.Span[r]]);
            }
        }
    }

    /// <summary>The documented order: numeric when every label is an integer, ordinal otherwise.</summary>
    private static string[] ExpectedClassOrder(string[] labels)
    {
        string[] distinct = [.. labels.Distinct()];
        return distinct.All(l => long.TryParse(l, out _))
            ? [.. distinct.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture))]
            : [.. distinct.OrderBy(l => l, StringComparer.Ordinal)];
    }

    [Fact]
    public void LabelByNameByIndexAndFromTheEndPickTheSameColumn()
    {
        const string text = "id,label,a,b\n1,x,0.5,2\n2,y,1.5,3\n3,x,2.5,4\n";
        foreach (string reference in new[] { "label", "1", "-3" })
        {
            LabeledData<double> data = Read<double>(text, new CsvOptions { LabelColumn = reference, IgnoreColumns = ["id"] });
            Assert.Equal(["a", "b"], data.FeatureNames);
            Assert.Equal([0.5, 2, 1.5, 3, 2.5, 4], data.Features.ToArray());
            Assert.Equal(["x", "y"], data.ClassLabels);
            Assert.Equal([0, 1, 0], data.Labels.ToArray());
        }

        // Ignoring by index, and the default label (the last column).
        LabeledData<double> last = Read<double>("a,b,c\n1,2,p\n3,4,q\n", new CsvOptions { IgnoreColumns = ["0"] });
        Assert.Equal(["b"], last.FeatureNames);
        Assert.Equal([2.0, 4], last.Features.ToArray());
        Assert.Equal(["p", "q"], last.ClassLabels);
    }

    [Fact]
    public void FixedClassesKeepTheirOrderAndDisplayNames()
    {
        // The worked example's mapping: IsStairs 1 is class 0 "stairs".
        var options = new CsvOptions { LabelColumn = "IsStairs", IgnoreColumns = ["ImageId"], ClassLabels = ["1", "0"], ClassNames = ["stairs", "not stairs"] };
        LabeledData<float> data = Read<float>("ImageId,R1C1,R1C2,R2C1,R2C2,IsStairs\n1,252,4,155,175,1\n3,82,131,230,100,0\n", options);
        Assert.Equal(["1", "0"], data.ClassLabels);
        Assert.Equal(["stairs", "not stairs"], data.ClassNames);
        Assert.Equal([0, 1], data.Labels.ToArray());
        Assert.Equal([252f, 4, 155, 175, 82, 131, 230, 100], data.Features.ToArray());
    }

    [Fact]
    public void FeatureColumnsPickByNameInTheGivenOrder()
    {
        LabeledData<double> data = Read<double>("z,y,x,cls\n1,2,3,a\n4,5,6,b\n", new CsvOptions { FeatureColumns = ["x", "z"] });
        Assert.Equal(["x", "z"], data.FeatureNames);
        Assert.Equal([3.0, 1, 6, 4], data.Features.ToArray());
    }

    [Fact]
    public void TheShippedStairsFilesLoadAsTheWorkedExampleDescribesThem()
    {
        var options = new CsvOptions { LabelColumn = "IsStairs", IgnoreColumns = ["ImageId"], ClassLabels = ["1", "0"], ClassNames = ["stairs", "not stairs"] };
        LabeledData<double> train = CsvLoader.Load<double>(Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "train.csv"), options);
        (double[] features, int[] labels) = StairsData.Load("train.csv");
        Assert.Equal(features, train.Features.ToArray());
        Assert.Equal(labels, train.Labels.ToArray());
        Assert.Equal([203, 197], train.ClassCounts());
    }

    // ---- Every user error: a DataFormatException with the line, the column and what is wrong ----

    public static TheoryData<string, long, string, string> Errors => new()
    {
        // text, line, column (or ""), words the message must contain
        { "a,b,c\n1,2,x\n3,4\n", 3, "", "has 2 cells; the header has 3" },
        { "a,b,c\n1,2,x\n3,4,y,5\n", 3, "", "has 4 cells" },
        { "a,b,c\n1,2,x\n\n3,abc,y\n", 4, "2 ('b')", "'abc' is not a number" },
        { "a,b,c\r\n1,2,x\r\n3,,y\r\n", 3, "2 ('b')", "empty" },
        { "a,b,c\n1,NaN,x\n", 2, "2 ('b')", "NaN" },
        { "a,b,c\n1,-Infinity,x\n", 2, "2 ('b')", "infinite" },
        { "a,b,c\n1,1e999,x\n", 2, "2 ('b')", "infinite" },
        { "a,b,c\n1,2,\n", 2, "3 ('c')", "label is empty" },
        { "a,b,c\n1,\"2,x\n", 2, "", "no closing quote" },
        { "a,b,c\n1,\"2\"z,x\n", 2, "", "after the closing quote" },
        { "a,b,c\n1,2,x\n3,4,x\n", 0, "3 ('c')", "same label" },
        { "a,b,c\n", 0, "", "no data rows" },
        { "", 0, "", "empty" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void EveryErrorNamesItsLineAndColumn(string text, long line, string column, string words)
    {
        var e = Assert.Throws<DataFormatException>(() => Read<double>(text, null));
        Assert.Equal(line, e.Line);
        Assert.Equal(column.Length == 0 ? null : column, e.Column);
        Assert.Equal("test.csv", e.SourceName);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
        if (line > 0)
        {
            Assert.Contains($"line {line}", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ALabelOutsideTheFixedClassesIsAnErrorOnItsLine()
    {
        var e = Assert.Throws<DataFormatException>(() => Read<double>("a,y\n1,0\n2,1\n3,2\n", new CsvOptions { ClassLabels = ["0", "1"] }));
        Assert.Equal(4, e.Line);
        Assert.Contains("label '2' is not one of the classes (0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFloatOverflowIsReportedAsOutOfRange()
    {
        var e = Assert.Throws<DataFormatException>(() => Read<float>("a,y\n1e39,p\n2,q\n", null));
        Assert.Equal(2, e.Line);
        Assert.Contains("out of the range of float", e.Message, StringComparison.Ordinal);
        Assert.Equal(1e39, Read<double>("a,y\n1e39,p\n2,q\n", null).Features.Span[0]);
    }

    [Fact]
    public void UnknownColumnsAreNamedInTheError()
    {
        var e = Assert.Throws<DataFormatException>(() => Read<double>("a,b\n1,x\n", new CsvOptions { LabelColumn = "lbl" }));
        Assert.Contains("no label column 'lbl'; the columns are a, b", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<DataFormatException>(() => Read<double>("a,b\n1,x\n", new CsvOptions { LabelColumn = "5" }));
        Assert.Contains("index 5 is out of range", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<DataFormatException>(() => Read<double>("a,b\n1,x\n", new CsvOptions { IgnoreColumns = ["a"] }));
        Assert.Contains("no feature columns", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        string path = Path.Combine(Path.GetTempPath(), "backprop-no-such-" + Guid.NewGuid().ToString("N") + ".csv");
        var e = Assert.Throws<FileNotFoundException>(() => CsvLoader.Load<double>(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALineLongerThanTheReadBufferIsParsed()
    {
        // 300 000 features: one line of about 1.5 MB, more than the reader's first 1 MiB buffer.
        const int features = 300_000;
        var text = new StringBuilder();
        text.AppendJoin(',', Enumerable.Range(0, features).Select(i => "c" + i)).Append(",y\n");
        for (int r = 0; r < 2; r++)
        {
            text.AppendJoin(',', Enumerable.Range(0, features).Select(i => ((i * 7) + r) % 1000)).Append(r == 0 ? ",p\n" : ",q\n");
        }

        LabeledData<float> data = Read<float>(text.ToString(), null);
        Assert.Equal(2, data.Count);
        Assert.Equal(features, data.FeatureCount);
        Assert.Equal(((123 * 7) + 1) % 1000, data.Features.Span[features + 123]);
    }

    // ---- Feature rows for prediction ----

    [Fact]
    public void FeatureReaderPicksTheModelsColumnsByNameAndPassesTheIdThrough()
    {
        const string text = "ImageId,R2C2,R1C1,IsStairs,R1C2,R2C1\n7,4,1,1,2,3\n8,40,10,0,20,30\n";
        using var reader = new CsvFeatureReader<double>(Stream(text), 4, ["R1C1", "R1C2", "R2C1", "R2C2"], "p.csv", HeaderMode.Auto, "ImageId");
        double[] x = new double[3 * 4];
        var ids = new List<string>();
        int rows = reader.ReadBatch(new MatrixSpan<double>(x, 3, 4), ids);
        Assert.True(reader.HasHeader);
        Assert.Equal(2, rows);
        Assert.Equal([1.0, 2, 3, 4, 10, 20, 30, 40, 0, 0, 0, 0], x);
        Assert.Equal(["7", "8"], ids);
        Assert.Equal(0, reader.ReadBatch(new MatrixSpan<double>(x, 3, 4), ids));
    }

    [Fact]
    public void FeatureReaderWithoutHeaderNeedsExactlyTheFeatures()
    {
        using (var reader = new CsvFeatureReader<float>(Stream("1,2\n3,4\n5,6\n"), 2, ["a", "b"], "stdin"))
        {
            float[] x = new float[2 * 2];
            Assert.Equal(2, reader.ReadBatch(new MatrixSpan<float>(x, 2, 2)));
            Assert.False(reader.HasHeader);
            Assert.Equal([1f, 2, 3, 4], x);
            Assert.Equal(1, reader.ReadBatch(new MatrixSpan<float>(x, 2, 2)));
            Assert.Equal(5f, x[0]);
        }

        using var wrong = new CsvFeatureReader<float>(Stream("1,2\n3,4,5\n"), 2, null, "stdin");
        var e = Assert.Throws<DataFormatException>(() => wrong.ReadBatch(new MatrixSpan<float>(new float[8], 4, 2)));
        Assert.Equal(2, e.Line);
        Assert.Contains("3 cells", e.Message, StringComparison.Ordinal);
    }

    private static LabeledData<T> Read<T>(string text, CsvOptions? options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        CsvLoader.Read<T>(Stream(text), options, "test.csv");

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>A stream that hands out at most <c>chunk</c> bytes per read, as a pipe might.</summary>
    internal sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
