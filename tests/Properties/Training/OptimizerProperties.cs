using Backprop.Training;

namespace Backprop.Properties.Training;

public class OptimizerProperties
{
    [Fact]
    public void StepChecksLengthsAndTheRate()
    {
        var sgd = new SgdOptimizer<double>(4);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => sgd.Step(new double[3], new double[4], 0.1)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => sgd.Step(new double[4], new double[5], 0.1)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Step(new double[4], new double[4], -1)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Step(new double[4], new double[4], double.NaN)).ParamName);
        Assert.Equal("parameterCount", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer<float>(0)).ParamName);
        Assert.Equal(0, sgd.StepCount);
    }

    [Fact]
    public void StepCountsAndResetForgets()
    {
        var adam = new AdamOptimizer<float>(3);
        float[] p = [1, 2, 3];
        adam.Step(p, [1, 1, 1], 0.1);
        adam.Step(p, [1, 1, 1], 0.1);
        Assert.Equal(2, adam.StepCount);
        Assert.NotEqual(0f, adam.FirstMoment[0]);
        adam.Reset();
        Assert.Equal(0, adam.StepCount);
        Assert.Equal([0f, 0, 0], adam.FirstMoment.ToArray());
        Assert.Equal([0f, 0, 0], adam.SecondMoment.ToArray());
    }

    /// <summary>Runs <paramref name="steps"/> random steps and returns the parameters.</summary>
    internal static double[] Run(Optimizer<double> optimizer, int steps, int seed, Action<double[], double[], int> reference, out double[] expected)
    {
        var random = new Random(seed);
        int n = optimizer.ParameterCount;
        double[] p = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5)];
        expected = (double[])p.Clone();
        for (int t = 1; t <= steps; t++)
        {
            double[] g = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5)];
            optimizer.Step(p, g, 0.05);
            reference(expected, g, t);
        }

        return p;
    }
}
