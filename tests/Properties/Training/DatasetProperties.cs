using Backprop.Training;

namespace Backprop.Properties.Training;

public class DatasetProperties
{
    [Fact]
    public void WrapsTheDataWithoutCopying()
    {
        float[] x = [1, 2, 3, 4, 5, 6];
        int[] y = [1, 0];
        var data = new Dataset<float>(x, y, 3, 2);
        Assert.Equal((2, 3, 2), (data.Count, data.FeatureCount, data.ClassCount));
        Assert.Equal(6f, data.Features[1, 2]);
        Assert.True(data.Features.Span.Overlaps(x));
        Assert.Equal(y, data.Labels.ToArray());
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteFeaturesThrowNamingFeaturesAndTheCell(float bad)
    {
        float[] x = new float[30];
        x[17] = bad;
        var e = Assert.Throws<ArgumentException>(() => new Dataset<float>(x, new int[10], 3, 2));
        Assert.Equal("features", e.ParamName);
        Assert.Contains("row 5, feature 2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void LabelsOutOfRangeThrowNamingLabels(int label)
    {
        int[] y = new int[10];
        y[9] = label;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset<double>(new double[30], y, 3, 3));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("Label 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeMismatchesThrowNamingTheArgument()
    {
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => new Dataset<double>(new double[29], new int[10], 3, 2)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => new Dataset<double>(Array.Empty<double>(), Array.Empty<int>(), 3, 2)).ParamName);
        Assert.Equal("featureCount", Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset<double>(new double[3], new int[3], 0, 2)).ParamName);
        Assert.Equal("classCount", Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset<double>(new double[3], new int[3], 1, 1)).ParamName);
        Assert.Throws<NotSupportedException>(() => new Dataset<Half>(new Half[3], new int[3], 1, 2));
    }
}
