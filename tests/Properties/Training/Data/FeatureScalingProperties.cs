using Backprop.Kernels;
using Backprop.Training.Data;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Backprop.Properties.Training.Data;

/// <summary>Scaling fitted on one matrix and applied to another, against statistics computed here.</summary>
public class FeatureScalingProperties
{
    [Property(MaxTest = 100)]
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

    [Property(MaxTest = 100)]
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
