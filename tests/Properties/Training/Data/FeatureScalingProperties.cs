using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training.Data;

/// <summary>Scaling fitted on one matrix and applied to another, against statistics computed here.</summary>
public class FeatureScalingProperties
{
    [Support.SizedProperty(MaxTest = 100)]
    public Property StandardizeUsesTheTrainingMeanAndStandardDeviation() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            (double[] train, double[] other, int rows, int columns) = Matrices(seed);
            FeatureScaling scaling = FeatureScaling.Fit<double>(new ReadOnlyMatrixSpan<double>(train, rows, columns), ScalingKind.Standardize);
            double[] scaledOther = (double[])other.Clone();
            scaling.Apply(new MatrixSpan<double>(scaledOther, other.Length / columns, columns));
            for (int c = 0; c < columns; c++)
            {
                double[] column = [.. Enumerable.Range(0, rows).Select(r => train[(r * columns) + c])];
                double mean = column.Average();
                double std = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average());
                for (int r = 0; r < other.Length / columns; r++)
                {
                    double expected = column.Max() > column.Min() ? (other[(r * columns) + c] - mean) / std : other[(r * columns) + c] - mean;
                    Assert.Equal(expected, scaledOther[(r * columns) + c], 1e-9 * Math.Max(1, Math.Abs(expected)));
                }
            }

            // On the training set itself: mean 0 and standard deviation 1 (or 0 for a constant column).
            scaling.Apply(new MatrixSpan<double>(train, rows, columns));
            for (int c = 0; c < columns; c++)
            {
                double[] column = [.. Enumerable.Range(0, rows).Select(r => train[(r * columns) + c])];
                Assert.Equal(0, column.Average(), 1e-9);
                double std = Math.Sqrt(column.Select(v => v * v).Average());
                Assert.True(Math.Abs(std - 1) < 1e-9 || std < 1e-12, $"column {c}: std {std}");
            }
        });

    [Support.SizedProperty(MaxTest = 100)]
    public Property MinMaxMapsTheTrainingRangeToZeroOne() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            (double[] train, _, int rows, int columns) = Matrices(seed);
            float[] asFloat = [.. train.Select(v => (float)v)];
            FeatureScaling scaling = FeatureScaling.Fit<float>(new ReadOnlyMatrixSpan<float>(asFloat, rows, columns), ScalingKind.MinMax);
            float[] copy = (float[])asFloat.Clone();
            scaling.Apply(new MatrixSpan<float>(copy, rows, columns));
            for (int c = 0; c < columns; c++)
            {
                double[] original = [.. Enumerable.Range(0, rows).Select(r => (double)asFloat[(r * columns) + c])];
                double[] scaled = [.. Enumerable.Range(0, rows).Select(r => (double)copy[(r * columns) + c])];
                double min = original.Min(), max = original.Max();
                for (int r = 0; r < rows; r++)
                {
                    double expected = max > min ? (original[r] - min) / (max - min) : 0;
                    Assert.Equal(expected, scaled[r], 1e-6);
                }
            }
        });

    [Fact]
    public void NoneIsTheIdentityAndBadValuesAreRefused()
    {
        double[] x = [1, 2, 3, 4];
        FeatureScaling none = FeatureScaling.Fit<double>(new ReadOnlyMatrixSpan<double>(x, 2, 2), ScalingKind.None);
        none.Apply(new MatrixSpan<double>(x, 2, 2));
        Assert.Equal([1.0, 2, 3, 4], x);
        Assert.Throws<ArgumentException>(() => new FeatureScaling(ScalingKind.Standardize, [0.0], [0.0]));
        Assert.Throws<ArgumentException>(() => new FeatureScaling(ScalingKind.Standardize, [double.NaN], [1.0]));
        Assert.Throws<ArgumentException>(() => new FeatureScaling(ScalingKind.Standardize, [0.0, 1], [1.0]));
        Assert.Throws<ArgumentException>(() => none.Apply(new MatrixSpan<double>(new double[3], 1, 3)));
    }

    private static readonly double[] Extremes = [double.MaxValue, -double.MaxValue, 1e308, -1e308, 1e200, -1e200, 3.4e38, -3.4e38, 1e-300, -1e-300, double.Epsilon, 0, 1, -1, 255];

    /// <summary>
    /// Columns drawn from extreme finite values (±1.8e308, ±1e200, float's ±3.4e38, subnormals, 0)
    /// and ordinary ones: fitting gives finite offsets and non-zero finite factors, and scaling the
    /// same data gives finite numbers — min-max within [0, 1], standardised within ±√rows — for
    /// double, and for float where the data are floats.
    /// </summary>
    [Support.SizedProperty(MaxTest = 300)]
    public Property ExtremeFiniteValuesScaleToFiniteValues() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            int rows = random.Next(1, 20), columns = random.Next(1, 4);
            double[] x = [.. Enumerable.Range(0, rows * columns).Select(_ => random.Next(3) == 0 ? (random.NextDouble() - 0.5) * 100 : Extremes[random.Next(Extremes.Length)])];
            foreach (ScalingKind kind in new[] { ScalingKind.Standardize, ScalingKind.MinMax })
            {
                FeatureScaling scaling = FeatureScaling.Fit<double>(new ReadOnlyMatrixSpan<double>(x, rows, columns), kind);
                Assert.True(scaling.Offsets.ToArray().All(double.IsFinite) && scaling.Scales.ToArray().All(v => double.IsFinite(v) && v != 0), $"seed {seed}, {kind}");
                double[] scaled = (double[])x.Clone();
                scaling.Apply(new MatrixSpan<double>(scaled, rows, columns));
                double bound = kind == ScalingKind.MinMax ? 1 + 1e-12 : Math.Sqrt(rows) * (1 + 1e-9);
                double floor = kind == ScalingKind.MinMax ? -1e-12 : -bound;
                Assert.True(scaled.All(v => double.IsFinite(v) && v >= floor && v <= bound), $"seed {seed}, {kind}: {string.Join(", ", scaled)} from {string.Join(", ", x)}");

                // The same data as floats (the values a float file can hold).
                float[] f = [.. x.Select(v => (float)v).Select(v => float.IsFinite(v) ? v : float.MaxValue)];
                FeatureScaling fs = FeatureScaling.Fit<float>(new ReadOnlyMatrixSpan<float>(f, rows, columns), kind);
                fs.Apply(new MatrixSpan<float>(f, rows, columns));
                Assert.True(f.All(v => float.IsFinite(v) && v >= floor - 1e-6 && v <= bound + 1e-6), $"seed {seed}, {kind} (float): {string.Join(", ", f)}");
            }
        });

    /// <summary>
    /// New data far outside the training range: a value whose scaled result the element type cannot
    /// hold (float 3.4e38 times a factor above 1, double 1e308 times 10) is refused naming the file,
    /// the line and the column; every other value is scaled to a finite number.
    /// </summary>
    [Support.SizedProperty(MaxTest = 200)]
    public Property ValuesThatWouldScaleOutOfRangeAreRefusedWithTheirPlace() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            int rows = random.Next(1, 8), columns = random.Next(1, 4);
            double[] offsets = [.. Enumerable.Range(0, columns).Select(_ => (random.NextDouble() - 0.5) * 10)];
            double[] scales = [.. Enumerable.Range(0, columns).Select(_ => random.Next(2) == 0 ? 10.0 : 0.001)];
            var scaling = new FeatureScaling(ScalingKind.Standardize, offsets, scales);
            float[] x = [.. Enumerable.Range(0, rows * columns).Select(_ => random.Next(4) == 0 ? (random.Next(2) == 0 ? 3.4e38f : -3.4e38f) : (float)((random.NextDouble() - 0.5) * 100))];
            long[] lines = [.. Enumerable.Range(0, rows).Select(r => 2L + (2 * r))];
            string[] names = [.. Enumerable.Range(0, columns).Select(c => "col" + c)];
            int bad = -1;
            for (int i = 0; i < x.Length && bad < 0; i++)
            {
                if (!float.IsFinite((float)((x[i] - offsets[i % columns]) * scales[i % columns])))
                {
                    bad = i;
                }
            }

            float[] copy = (float[])x.Clone();
            if (bad < 0)
            {
                scaling.Apply(new MatrixSpan<float>(copy, rows, columns), "p.csv", lines, names);
                Assert.True(copy.All(float.IsFinite));
            }
            else
            {
                var e = Assert.Throws<DataFormatException>(() => scaling.Apply(new MatrixSpan<float>(copy, rows, columns), "p.csv", lines, names));
                Assert.Equal("p.csv", e.SourceName);
                Assert.Equal(lines[bad / columns], e.Line);
                Assert.Equal($"'col{bad % columns}'", e.Column);
                Assert.Contains("beyond the range of float", e.Message, StringComparison.Ordinal);

                // Without lines, the row and feature are named instead.
                float[] again = (float[])x.Clone();
                Assert.Contains($"row {(bad / columns) + 1}, feature {(bad % columns) + 1}", Assert.Throws<DataFormatException>(() => scaling.Apply(new MatrixSpan<float>(again, rows, columns))).Message, StringComparison.Ordinal);
            }

            double[] d = [1e308, -1e308, 5];
            var wide = new FeatureScaling(ScalingKind.MinMax, [0.0], [10.0]);
            Assert.Contains("row 1, feature 1", Assert.Throws<DataFormatException>(() => wide.Apply(new MatrixSpan<double>(d, 3, 1))).Message, StringComparison.Ordinal);
        });

    /// <summary>A CSV training file with values of ±1e308 and ±1e200 loads, fits and scales to finite values; a test file with a value beyond the fitted range is refused naming its file, line and column.</summary>
    [Fact]
    public void ACsvOfHugeValuesTrainsAndAFarOutlierIsNamed()
    {
        string train = "a,b,y\n1e308,-1e200,p\n-1e308,1e200,q\n0,0,p\n";
        LabeledData<double> data = CsvLoader.Read<double>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(train)), null, "t.csv");
        foreach (ScalingKind kind in new[] { ScalingKind.Standardize, ScalingKind.MinMax })
        {
            LabeledData<double> copy = CsvLoader.Read<double>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(train)), null, "t.csv");
            FeatureScaling scaling = FeatureScaling.Fit<double>(data.FeatureMatrix, kind);
            copy.Scale(scaling);
            Assert.True(copy.Features.ToArray().All(double.IsFinite), string.Join(", ", copy.Features.ToArray()));
        }

        LabeledData<float> small = CsvLoader.Read<float>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("a,b,y\n0,0.5,p\n0.1,0,q\n")), null, "s.csv");
        FeatureScaling fitted = FeatureScaling.Fit<float>(small.FeatureMatrix, ScalingKind.MinMax);
        LabeledData<float> test = CsvLoader.Read<float>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("a,b,y\n\n0,0,p\n3.4e38,0,q\n")), null, "test.csv");
        var e = Assert.Throws<DataFormatException>(() => test.Scale(fitted));
        Assert.Equal("test.csv", e.SourceName);
        Assert.Equal(4, e.Line);
        Assert.Equal("'a'", e.Column);
    }

    /// <summary>Prediction's path: the feature reader reports each batch row's line, and the model's scaling names the line of a value it cannot scale.</summary>
    [Fact]
    public void PredictionRowsCarryTheirLinesIntoScalingErrors()
    {
        var network = new Network<float>(new NetworkShape([2, 2]));
        var model = new Backprop.Training.Persistence.TrainedModel<float>(network, new FeatureScaling(ScalingKind.MinMax, [0.0, 0.0], [1.0, 100.0]), featureNames: ["u", "v"]);
        const string text = "v,u\n\n1,2\n3,4\n\n5e36,6\n";
        using var reader = new CsvFeatureReader<float>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), 2, model.FeatureNames, "p.csv", HeaderMode.Auto);
        float[] x = new float[3 * 2];
        Assert.Equal(3, reader.ReadBatch(new MatrixSpan<float>(x, 3, 2)));
        long[] lines = reader.BatchLines.ToArray();
        Assert.Equal([3L, 4, 6], lines);
        var e = Assert.Throws<DataFormatException>(() => model.ScaleInputs(new MatrixSpan<float>(x, 3, 2), reader.SourceName, lines));
        Assert.Equal(6, e.Line);
        Assert.Equal("'v'", e.Column);
        Assert.Equal("p.csv", e.SourceName);
    }

    private static (double[] Train, double[] Other, int Rows, int Columns) Matrices(int seed)
    {
        var random = new Random(seed);
        int rows = random.Next(1, 30), columns = random.Next(1, 6), otherRows = random.Next(1, 10);
        double[] offsets = [.. Enumerable.Range(0, columns).Select(_ => (random.NextDouble() - 0.5) * 1000)];
        double[] spreads = [.. Enumerable.Range(0, columns).Select(_ => random.Next(4) == 0 ? 0 : random.NextDouble() * 100)];
        double[] Make(int n) => [.. Enumerable.Range(0, n * columns).Select(i => offsets[i % columns] + ((random.NextDouble() - 0.5) * spreads[i % columns]))];
        return (Make(rows), Make(otherRows), rows, columns);
    }
}
