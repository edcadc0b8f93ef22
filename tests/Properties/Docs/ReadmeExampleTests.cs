using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Training;

namespace Backprop.Properties.Docs;

/// <summary>
/// The README's library example is this file's region, compiled and run here; a second test checks
/// that the README shows exactly these lines, so the two cannot drift apart.
/// </summary>
public class ReadmeExampleTests
{
    [Fact]
    public void TheExampleRunsAndLearns()
    {
        (int[] classes, TrainingResult result, int[] labels) = Example();
        Assert.Equal(5, result.Epochs);
        Assert.True(result.Last.TrainingAccuracy > 0.9, $"training accuracy {result.Last.TrainingAccuracy}");
        Assert.Equal(labels.AsSpan(0, 10).ToArray(), classes);
    }

    [Fact]
    public void TheReadmeShowsThisExample()
    {
        string source = File.ReadAllText(ThisFile());
        // The markers are split so that these lines do not match themselves.
        int start = source.IndexOf("#region" + " readme", StringComparison.Ordinal);
        int end = source.IndexOf("#end" + "region", start, StringComparison.Ordinal);
        string[] lines = source[start..end].Split('\n')[1..^1];
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string snippet = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.Trim()));
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "README.md"));
        Assert.Contains(snippet.Trim(), readme.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static (int[] Classes, TrainingResult Result, int[] Labels) Example()
    {
        #region readme
        // 784 inputs, one hidden layer of 256 ReLU units, 10 classes; parameters from a seed.
        var shape = new NetworkShape([784, 256, 10], HiddenActivation.Relu);
        var network = new Network<float>(shape, seed: 1);

        // Your data, row-major: here 1000 rows whose class c is marked by feature c.
        float[] features = new float[1000 * 784];
        int[] labels = new int[1000];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 10;
            features[(i * 784) + labels[i]] = 1;
        }

        var train = new Dataset<float>(features, labels, featureCount: 784, classCount: 10);
        var trainer = new Trainer<float>(network, new AdamOptimizer<float>(shape.ParameterCount),
            new TrainerOptions { BatchSize = 100, Epochs = 5, Seed = 7, LearningRate = LearningRateSchedule.Constant(1e-2) });
        TrainingResult result = trainer.Fit(train, validation: null,
            progress: m => Console.WriteLine($"epoch {m.Epoch}: loss {m.TrainingLoss:F4}, accuracy {m.TrainingAccuracy:P1}"));

        // Thread-safe prediction: each call rents a workspace from an ObjectPool.
        var predictor = new Predictor<float>(network);
        int[] classes = new int[10];
        predictor.PredictClasses(new ReadOnlyMatrixSpan<float>(features, 10, 784), classes);
        #endregion
        return (classes, result, labels);
    }
}
