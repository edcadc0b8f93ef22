using Backprop.Training;

namespace Backprop.Properties.Training;

public class MomentumOptimizerProperties
{
    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.01)]
    public void IsHeavyBallOrNesterov(bool nesterov, double decay)
    {
        double[] v = new double[9];
        var optimizer = new MomentumOptimizer<double>(9, 0.8, nesterov, decay);
        double[] actual = OptimizerProperties.Run(optimizer, 6, 2, (p, g, _) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                double gi = g[i] + (decay * p[i]);
                v[i] = (0.8 * v[i]) + gi;
                p[i] -= 0.05 * (nesterov ? gi + (0.8 * v[i]) : v[i]);
            }
        }, out double[] expected);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-15);
            Assert.Equal(v[i], optimizer.Velocity[i], 1e-15);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void BadMomentumThrowsNamingIt(double momentum) =>
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new MomentumOptimizer<float>(3, momentum)).ParamName);
}
