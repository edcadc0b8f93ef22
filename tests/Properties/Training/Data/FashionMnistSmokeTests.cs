using Backprop.Training;
using Backprop.Training.Data;
using Xunit.Abstractions;

namespace Backprop.Properties.Training.Data;

/// <summary>A <see cref="FactAttribute"/> that skips, with the install command as the reason, when Fashion-MNIST is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnist.IsInstalled())
        {
            Skip = $"Fashion-MNIST is not installed in {FashionMnist.ResolveDirectory()}: {FashionMnist.InstallCommand}";
        }
    }
}

/// <summary>The real data set, briefly: a few thousand rows, two epochs, accuracy far above chance (0.1).</summary>
public class FashionMnistSmokeTests(ITestOutputHelper output)
{
    [FashionMnistFact]
    public void TheInstalledFilesHaveTheDocumentedShape()
    {
        LabeledData<float> test = FashionMnist.Load<float>(train: false);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(784, test.FeatureCount);
        Assert.All(test.ClassCounts(), count => Assert.Equal(1000, count)); // the test split is balanced
        Assert.InRange(test.Features.Span.ToArray().Max(), 200f, 255f);
    }

    [FashionMnistFact]
    public void AShortTrainingRunIsFarAboveChance()
    {
        LabeledData<float> train = FashionMnist.Load<float>(train: true, maxRows: 5000);
        LabeledData<float> test = FashionMnist.Load<float>(train: false, maxRows: 2000);
        FeatureScaling scaling = FeatureScaling.Fit<float>(train.FeatureMatrix, ScalingKind.Standardize);
        scaling.Apply(train.FeatureMatrix);
        scaling.Apply(test.FeatureMatrix);
        var shape = new NetworkShape([784, 64, 10], HiddenActivation.Relu);
        var network = new Network<float>(shape);
        network.InitializeHeUniform(1);
        var trainer = new Trainer<float>(network, new AdamOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 64, Epochs = 2, Seed = 1, LearningRate = LearningRateSchedule.Constant(0.001) });
        trainer.Fit(train.ToDataset());
        Evaluation result = trainer.Evaluate(test.ToDataset());
        output.WriteLine($"5000 rows, 2 epochs: test accuracy {result.Accuracy:F4}, loss {result.Loss:F4}");
        Assert.True(result.Accuracy >= 0.6, $"test accuracy {result.Accuracy}");
    }
}
