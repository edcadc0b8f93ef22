using Backprop.Training;

namespace Backprop.Properties.Training;

public class AdamOptimizerProperties
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void IsBiasCorrectedAdamWithDecoupledDecay(double decay)
    {
        const double B1 = 0.8, B2 = 0.95, Eps = 1e-6;
        double[] m = new double[9], v = new double[9];
        double[] actual = OptimizerProperties.Run(new AdamOptimizer<double>(9, B1, B2, Eps, decay), 7, 3, (p, g, t) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                m[i] = (B1 * m[i]) + ((1 - B1) * g[i]);
                v[i] = (B2 * v[i]) + ((1 - B2) * g[i] * g[i]);
                double mHat = m[i] / (1 - Math.Pow(B1, t)), vHat = v[i] / (1 - Math.Pow(B2, t));
                p[i] -= 0.05 * ((mHat / (Math.Sqrt(vHat) + Eps)) + (decay * p[i]));
            }
        }, out double[] expected);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-14);
        }
    }

    [Fact]
    public void BadHyperParametersThrowNamingThem()
    {
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, beta1: 1)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, beta2: -0.5)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, epsilon: 0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<float>(3, epsilon: 1e-300)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, weightDecay: double.PositiveInfinity)).ParamName);
    }
}
