using Backprop.Training;
using Backprop.Training.Data;

namespace Backprop.Properties.Training.Data;

/// <summary>
/// The Fashion-MNIST recipe, the one home of the tool's Fashion-MNIST defaults and the time-to-accuracy
/// benchmark's run. Expected values are worked out by hand from the documented recipe (README,
/// docs/CLI.md): 60 000 rows in batches of 128 are 469 steps per epoch (468.75 rounded up), so a
/// one-epoch warm-up is 469 steps and 15 epochs are 7 035 steps.
/// </summary>
public sealed class FashionMnistRecipeProperties
{
    [Fact]
    public void TheOptionsAreTheDocumentedRecipe()
    {
        TrainerOptions o = FashionMnistRecipe.Options(60_000);
        Assert.Equal((128, 15, 1UL, true, 0.1, 0.0, 1), (o.BatchSize, o.Epochs, o.Seed, o.Shuffle, o.LabelSmoothing, o.DropoutRate, o.DegreeOfParallelism));
        LearningRateSchedule s = o.LearningRate;
        Assert.Equal(0.002 / 469, s.Rate(0, 0), 1e-18);          // linear warm-up from the first step
        Assert.Equal(0.002, s.Rate(0, 468), 1e-18);              // the peak at the warm-up's last step
        Assert.Equal(0.002, s.Rate(1, 469), 1e-18);              // the cosine starts at the peak
        Assert.Equal(0.00101, s.Rate(8, 469 + 3283), 1e-15);     // halfway through the 6 566 cosine steps: (peak + final) / 2
        Assert.Equal(0.00002, s.Rate(15, 7035), 1e-18);          // 1 % of the peak at the end

        NetworkShape shape = FashionMnistRecipe.Shape();
        Assert.Equal("784-256-10 Relu", shape.ToString());
        AdamOptimizer<float> adam = FashionMnistRecipe.CreateOptimizer<float>(shape);
        Assert.Equal((shape.ParameterCount, 0.0, false), (adam.ParameterCount, adam.WeightDecay, adam.DecaysBiases));
    }

    [Fact]
    public void ASmallDataSetKeepsTheRecipeWithAWholeBatch()
    {
        // 100 rows: one step per epoch in one batch of 100 (no shuffling needed), warm-up 1 step of 3.
        TrainerOptions o = FashionMnistRecipe.Options(100, epochs: 3, threads: 2);
        Assert.Equal((100, 3, false, 2), (o.BatchSize, o.Epochs, o.Shuffle, o.DegreeOfParallelism));
        Assert.Equal(0.002, o.LearningRate.Rate(0, 0), 1e-18);
        Assert.Equal(0.00002, o.LearningRate.Rate(2, 3), 1e-18);
    }

    [Fact]
    public void WithoutAWarmUpTheCosineRunsPerEpoch()
    {
        LearningRateSchedule s = FashionMnistRecipe.CosineSchedule(0.01, 0, 4, 50);
        Assert.Equal(0.01, s.Rate(0, 0), 1e-18);
        Assert.Equal(0.01, s.Rate(0, 49), 1e-18);                // constant within an epoch
        Assert.Equal(0.00505, s.Rate(2, 100), 1e-15);            // halfway: (0.01 + 0.0001) / 2
        Assert.Equal(0.0001, s.Rate(4, 200), 1e-18);
        Assert.Equal(0, FashionMnistRecipe.WarmupSteps(0.004, 100));   // 0.4 steps round to none
        Assert.Equal(1, FashionMnistRecipe.WarmupSteps(0.006, 100));
    }

    [Fact]
    public void BadArgumentsNameTheirParameter()
    {
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.Options(0)).ParamName);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.Options(10, epochs: 0)).ParamName);
        Assert.Equal("warmupEpochs", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.CosineSchedule(0.01, -1, 4, 50)).ParamName);
        Assert.Equal("warmupEpochs", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.CosineSchedule(0.01, double.NaN, 4, 50)).ParamName);
        Assert.Equal("stepsPerEpoch", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.CosineSchedule(0.01, 1, 4, 0)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistRecipe.CosineSchedule(0.01, 4, 4, 50)).ParamName);
    }
}
