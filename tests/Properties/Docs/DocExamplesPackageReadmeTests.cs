using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Backprop.Kernels;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Properties.Docs;

/// <summary>
/// The package READMEs (src/Kernels/README.md, src/Training/README.md, src/Cli/README.md, shown on
/// the package page): their C# examples are this file's regions, compiled and run here, and shown
/// verbatim; they hold no repository-relative link or image, which a package page cannot display.
/// </summary>
public sealed partial class DocExamplesPackageReadmeTests
{
    public static TheoryData<string> PackageReadmes => new() { "src/Kernels/README.md", "src/Training/README.md", "src/Cli/README.md" };

    [Fact]
    public void TheTrainingExampleRunsLearnsAndSavesALoadableModel()
    {
        using var dir = new TempDirectory();
        string trainCsv = Path.Combine(StairsData.RepositoryRoot(), "data", "stairs", "train.csv");
        string modelPath = Path.Combine(dir.Path, "stairs.bpm");
        (TrainingResult result, int[] classes, LabeledData<float> data) = TrainingExample(trainCsv, modelPath);
        Assert.Equal(40, result.Epochs);
        int correct = 0;
        for (int i = 0; i < classes.Length; i++)
        {
            correct += classes[i] == data.Labels.Span[i] ? 1 : 0;
        }

        Assert.True(correct > 0.85 * classes.Length, $"{correct}/{classes.Length} right after the example's training");
        TrainedModel model = ModelFile.Load(modelPath);
        Assert.Equal(data.ClassLabels, model.ClassLabels);
        Assert.Equal(["R1C1", "R1C2", "R2C1", "R2C2"], model.FeatureNames);
    }

    [Fact]
    public void TheKernelsExampleRuns()
    {
        (float[] z, float[] w) = KernelsExample();
        Assert.All(z, v => Assert.Equal(0f, v));
        Assert.All(w, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("src/Training/README.md", "training")]
    [InlineData("src/Kernels/README.md", "kernels")]
    public void TheReadmeShowsThisFilesExample(string readme, string region)
    {
        string source = File.ReadAllText(ThisFile());
        int start = source.IndexOf("#region" + " " + region, StringComparison.Ordinal);
        int end = source.IndexOf("#end" + "region", start, StringComparison.Ordinal);
        string[] lines = source[start..end].Split('\n')[1..^1];
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string snippet = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..].TrimEnd() : l.Trim()));
        string text = File.ReadAllText(Path.Combine(StairsData.RepositoryRoot(), readme)).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains(snippet.Trim(), text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PackageReadmes))]
    public void APackageReadmeHasAnInstallLineAndNoRelativeLinks(string readme)
    {
        string text = File.ReadAllText(Path.Combine(StairsData.RepositoryRoot(), readme));
        Assert.Matches(@"dotnet (add package|tool install --global) Backprop\.", text);
        foreach (Match link in LinkRegex().Matches(text))
        {
            string target = link.Groups["target"].Value;
            Assert.True(target.StartsWith("https://", StringComparison.Ordinal), $"{readme}: '{link.Value}' is not an absolute https link; a package page cannot show it");
        }

        Assert.DoesNotContain("src=\"", text, StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static (TrainingResult Result, int[] Classes, LabeledData<float> Data) TrainingExample(string trainCsv, string modelPath)
    {
        #region training
        LabeledData<float> data = CsvLoader.Load<float>(trainCsv, new CsvOptions { LabelColumn = "IsStairs", IgnoreColumns = ["ImageId"] });
        data.Scale(FeatureScaling.Fit<float>(data.FeatureMatrix, ScalingKind.Standardize));
        var shape = new NetworkShape([data.FeatureCount, 16, data.ClassCount], HiddenActivation.Relu);
        var network = new Network<float>(shape, seed: 1);
        using var trainer = new Trainer<float>(network, new AdamOptimizer<float>(shape.ParameterCount),
            new TrainerOptions { BatchSize = 32, Epochs = 40, Seed = 1, LearningRate = LearningRateSchedule.Constant(0.01) });
        TrainingResult result = trainer.Fit(data.ToDataset());

        // Thread-safe prediction (pooled workspaces), then the model file (written atomically).
        var predictor = new Predictor<float>(network);
        int[] classes = new int[data.Count];
        predictor.PredictClasses(data.FeatureMatrix, classes);
        ModelFile.Save(new TrainedModel<float>(network, null, data.ClassLabels, data.ClassNames, data.FeatureNames), modelPath);
        #endregion
        return (result, classes, data);
    }

    private static (float[] Z, float[] W) KernelsExample()
    {
        #region kernels
        float[] x = new float[128 * 784], w = new float[784 * 256], z = new float[128 * 256];
        // Z = X · W
        Gemm.Multiply(new ReadOnlyMatrixSpan<float>(x, 128, 784), new ReadOnlyMatrixSpan<float>(w, 784, 256),
                      new MatrixSpan<float>(z, 128, 256));
        // dW = Xᵀ · dZ, accumulated: dW = 1·Xᵀ·dZ + 1·dW
        Gemm.Multiply(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<float>(x, 128, 784),
                      MatrixOperation.None, new ReadOnlyMatrixSpan<float>(z, 128, 256),
                      new MatrixSpan<float>(w, 784, 256), alpha: 1f, beta: 1f);
        #endregion
        return (z, w);
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkRegex();
}
