using Backprop.Kernels;
using Backprop.Reference;
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

    /// <summary>
    /// Created for a network shape, the decay skips every bias: bit for bit the plain loop with λ on the
    /// weights and 0 on the biases (mask built from the documented layout: per layer the fan-out biases,
    /// then the weights), on one thread and split across two; and it differs from decaying everything.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ShapeConstructorDecaysWeightsOnly(int threadCount)
    {
        var shape = new NetworkShape([37, 300, 3, 5], HiddenActivation.Relu);
        int count = shape.ParameterCount;
        bool[] decayed = new bool[count];
        int offset = 0;
        for (int l = 0; l < shape.LayerCount; l++)
        {
            offset += shape.FanOut(l); // biases first: not decayed
            for (int k = 0; k < shape.FanIn(l) * shape.FanOut(l); k++)
            {
                decayed[offset++] = true;
            }
        }

        var random = new Random(5);
        float[] p = [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] expected = [.. p];
        float[] everything = [.. p];
        float[] m = new float[count], v = new float[count];
        var optimizer = new AdamOptimizer<float>(shape, 0.9, 0.99, 1e-7, weightDecay: 0.3);
        var decayAll = new AdamOptimizer<float>(count, 0.9, 0.99, 1e-7, weightDecay: 0.3);
        Assert.False(optimizer.DecaysBiases);
        Assert.True(decayAll.DecaysBiases);
        using var threads = threadCount > 1 ? new KernelThreads(threadCount) : null;
        for (int t = 1; t <= 4; t++)
        {
            float[] g = [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
            optimizer.Step(p, g, 0.05, threads);
            decayAll.Step(everything, g, 0.05, threads);
            UpdatesReference.Adam<float>(expected, g, m, v, 0.05f, 0.9f, 0.99f, 1e-7f, t, 0.3f, decayed);
        }

        for (int i = 0; i < count; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(p[i]), $"parameter {i} ({(decayed[i] ? "weight" : "bias")}): {p[i]:R}, expected {expected[i]:R}");
            if (!decayed[i])
            {
                Assert.NotEqual(everything[i], p[i]);
            }
        }
    }

    [Fact]
    public void BadHyperParametersThrowNamingThem()
    {
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new AdamOptimizer<double>((NetworkShape)null!)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(new NetworkShape([2, 2]), weightDecay: -1)).ParamName);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, beta1: 1)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, beta2: -0.5)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, epsilon: 0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<float>(3, epsilon: 1e-300)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer<double>(3, weightDecay: double.PositiveInfinity)).ParamName);
    }
}
