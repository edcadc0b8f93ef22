using Backprop.Kernels;
using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training;

public class NetworkProperties
{
    [Fact]
    public void EachLayerIsOneBlockOfBiasThenWeightsWhichIsTheAugmentedMatrix()
    {
        var shape = new NetworkShape([3, 4, 2]);
        var network = new Network<double>(shape);
        double[] w1 = [.. Enumerable.Range(0, 16).Select(i => 100.0 + i)]; // 4×4, row 0 = bias
        double[] w2 = [.. Enumerable.Range(0, 10).Select(i => 200.0 + i)]; // 5×2
        network.ImportAugmented(0, new ReadOnlyMatrixSpan<double>(w1, 4, 4));
        network.ImportAugmented(1, new ReadOnlyMatrixSpan<double>(w2, 5, 2));
        Assert.Equal([.. w1, .. w2], network.Parameters.ToArray());
        Assert.Equal(26, shape.ParameterCount);
        Assert.Equal([100.0, 101, 102, 103], network.Layer(0).Bias.ToArray());
        Assert.Equal(104.0, network.Layer(0).Weights[0, 0]);
        Assert.Equal(115.0, network.Layer(0).Weights[2, 3]);
        Assert.Equal(209.0, network.Layer(1).Weights[3, 1]);
        Assert.Equal(16, shape.ParameterOffset(1));

        // The gradient buffer mirrors the layout.
        network.GradientLayer(1).Bias[1] = 7;
        Assert.Equal(7.0, network.Gradients[17]);
    }

    [Support.SizedProperty]
    public Property ExportOfImportIsTheIdentityForAnyStride() =>
        Prop.ForAll(
            (from fanIn in Gen.Choose(1, 6) from fanOut in Gen.Choose(2, 6) from pad in Gen.Choose(0, 3) from seed in Support.Gens.Seed select (fanIn, fanOut, pad, seed)).ToArbitrary(),
            t =>
            {
                (int fanIn, int fanOut, int pad, int seed) = t;
                var network = new Network<float>(new NetworkShape([fanIn, fanOut]));
                int stride = fanOut + pad;
                float[] source = Support.Gens.Random<float>(((fanIn) * stride) + fanOut, seed, 10);
                float[] back = new float[source.Length];
                network.ImportAugmented(0, new ReadOnlyMatrixSpan<float>(source, fanIn + 1, fanOut, stride));
                network.ExportAugmented(0, new MatrixSpan<float>(back, fanIn + 1, fanOut, stride));
                LayerView<float> layer = network.Layer(0);
                for (int i = 0; i <= fanIn; i++)
                {
                    for (int j = 0; j < fanOut; j++)
                    {
                        float expected = source[(i * stride) + j];
                        float viaView = i == 0 ? layer.Bias[j] : layer.Weights[i - 1, j];
                        if (back[(i * stride) + j] != expected || viaView != expected || layer.Augmented[i, j] != expected)
                        {
                            return false;
                        }
                    }
                }

                return true;
            });

    [Fact]
    public void AugmentedMatricesOfTheWrongShapeThrowNamingTheArgument()
    {
        var network = new Network<double>(new NetworkShape([3, 4, 2]));
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => network.ImportAugmented(0, new ReadOnlyMatrixSpan<double>(new double[12], 3, 4))).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => network.ExportAugmented(1, new MatrixSpan<double>(new double[10], 2, 5))).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => network.Layer(2)).ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UniformInitialisationIsSeededBoundedAndHasTheRightSpread(bool he)
    {
        var shape = new NetworkShape([300, 200, 10], HiddenActivation.Relu);
        Network<double> Make(ulong seed)
        {
            var n = new Network<double>(shape);
            n.Parameters.Fill(double.NaN);
            if (he)
            {
                n.InitializeHeUniform(seed);
            }
            else
            {
                n.InitializeGlorotUniform(seed);
            }

            return n;
        }

        Network<double> a = Make(42), b = Make(42), c = Make(43);
        Assert.Equal(TestData.Bits<double>(a.Parameters), TestData.Bits<double>(b.Parameters));
        Assert.NotEqual(TestData.Bits<double>(a.Parameters), TestData.Bits<double>(c.Parameters));
        for (int l = 0; l < 2; l++)
        {
            LayerView<double> layer = a.Layer(l);
            double limit = Math.Sqrt(6.0 / (he ? layer.FanIn : layer.FanIn + layer.FanOut));
            Assert.All(layer.Bias.ToArray(), v => Assert.Equal(0.0, v));
            double[] w = layer.Weights.Span.ToArray();
            Assert.All(w, v => Assert.InRange(v, -limit, limit));
            double variance = w.Sum(v => v * v) / w.Length; // U(−a, a) has variance a²/3
            Assert.InRange(variance / (limit * limit / 3), 0.9, 1.1);
            Assert.InRange(w.Average() / limit, -0.05, 0.05);
        }

        // The seeded constructor is Glorot, and float networks get the same draws rounded.
        if (!he)
        {
            Assert.Equal(TestData.Bits<double>(a.Parameters), TestData.Bits<double>(new Network<double>(shape, 42).Parameters));
            float[] rounded = [.. a.Parameters.ToArray().Select(v => (float)v)];
            Assert.Equal(rounded, new Network<float>(shape, 42).Parameters.ToArray());
        }
    }

    [Support.SizedProperty(MaxTest = 50)]
    public Property PredictedProbabilitiesAreTheReferenceSoftmax() =>
        Prop.ForAll(
            (from seed in Support.Gens.Seed from hidden in Gen.Choose(0, 3) from batch in Gen.Choose(1, 20) from act in Gen.Elements(HiddenActivation.Sigmoid, HiddenActivation.Tanh, HiddenActivation.Relu) select new BackpropagationProperties.NetworkCase(seed, hidden, batch, act)).ToArbitrary(),
            c =>
            {
                (Network<double> network, double[,] x, _) = BackpropagationProperties.Build(c);
                int classes = network.Shape.Outputs;
                double[,] expected = Reference.Softmax(Reference.PreActivations(Reference.Weights(network), c.Activation, x)[^1]);
                double[] p = new double[c.Batch * classes];
                int[] k = new int[c.Batch];
                var workspace = new Workspace<double>(network.Shape, 7, forTraining: false);
                network.PredictProbabilities(Reference.View(Reference.Flatten(x), c.Batch, x.GetLength(1)), new MatrixSpan<double>(p, c.Batch, classes), workspace);
                network.PredictClasses(Reference.View(Reference.Flatten(x), c.Batch, x.GetLength(1)), k, workspace);
                for (int r = 0; r < c.Batch; r++)
                {
                    for (int j = 0; j < classes; j++)
                    {
                        Assert.Equal(expected[r, j], p[(r * classes) + j], 1e-13);
                    }

                    double best = Enumerable.Range(0, classes).Max(j => expected[r, j]);
                    Assert.True(expected[r, k[r]] >= best - 1e-13, $"{c}: row {r} predicted class {k[r]}");
                }
            });
}
