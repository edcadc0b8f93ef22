using Backprop.Training;

namespace Backprop.Properties.Training;

public class SgdOptimizerProperties
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void IsGradientDescentWithL2Decay(double decay)
    {
        double[] actual = OptimizerProperties.Run(new SgdOptimizer<double>(9, decay), 5, 1, (p, g, _) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                p[i] -= 0.05 * (g[i] + (decay * p[i]));
            }
        }, out double[] expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BadDecayThrowsNamingIt() =>
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer<double>(3, -0.1)).ParamName);
}
