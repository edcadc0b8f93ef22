using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using Microsoft.ML.OnnxRuntime;

namespace Backprop.Properties.Docs;

/// <summary>
/// The README's embedding examples are this file's regions, compiled and run here; another test
/// checks that the README shows exactly these lines, so the two cannot drift apart.
/// </summary>
public class EmbeddingExampleTests
{
    [Fact]
    public void ThePredictExampleRuns()
    {
        string dir = Directory.CreateTempSubdirectory("embedding-example").FullName;
        try
        {
            string modelPath = Path.Combine(dir, "stairs.bpm");
            ModelFile.Save(OnnxExportProperties.TrainStairs<float>(HiddenActivation.Relu, 1), modelPath);
            (Prediction first, float[] probabilities, int[] classes) = PredictExample(modelPath);
            TrainedModel<float> reference = ModelFile.Load<float>(modelPath);
            float[] scaled = [12, 200, 31, 250];
            reference.ScaleInputs(new MatrixSpan<float>(scaled, 1, 4));
            float[] expected = new float[2];
            reference.Network.PredictProbabilities(new ReadOnlyMatrixSpan<float>(scaled, 1, 4), new MatrixSpan<float>(expected, 1, 2), new Workspace<float>(reference.Shape, 1, forTraining: false));
            Assert.Equal(expected[0], probabilities[0], 1e-6f);
            Assert.Equal(expected[1], probabilities[1], 1e-6f);
            Assert.Equal(expected[0] > expected[1] ? "Stairs" : "Not stairs", first.ClassName);
            Assert.Equal(probabilities[first.ClassIndex], first.Probability, 1e-6);
            Assert.Equal(first.ClassIndex, classes[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheTrainExportServeExampleRuns()
    {
        string dir = Directory.CreateTempSubdirectory("embedding-example").FullName;
        try
        {
            (float[] onnxProbabilities, long onnxClass, Prediction ours) = ServeExample(dir);
            Assert.Equal(ours.ClassIndex, (int)onnxClass);
            Assert.Equal(ours.Probability, onnxProbabilities[ours.ClassIndex], 1e-5);
            Assert.Equal(1, onnxProbabilities.Sum(), 1e-5);
            Assert.True(File.Exists(Path.Combine(dir, "stairs.onnx")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("readme-predict")]
    [InlineData("readme-serve")]
    public void TheReadmeShowsTheseExamples(string region)
    {
        string source = File.ReadAllText(ThisFile());
        // The markers are split so that these lines do not match themselves.
        int start = source.IndexOf("#region" + " " + region + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, region);
        int end = source.IndexOf("#end" + "region", start, StringComparison.Ordinal);
        string[] lines = source[start..end].Split('\n')[1..^1];
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string snippet = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.Trim()));
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "README.md"));
        Assert.Contains(snippet.Trim(), readme.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static (Prediction First, float[] Probabilities, int[] Classes) PredictExample(string modelPath)
    {
        #region readme-predict
        // Load once, share everywhere: thread-safe, 0 B per call after warm-up.
        TrainedModel<float> model = ModelFile.Load<float>(modelPath);

        // A raw row, as the application has it: the model applies its own feature scaling.
        float[] row = [12, 200, 31, 250];
        Prediction p = model.Predict(row);
        Console.WriteLine($"{p.ClassName} ({p.Probability:P1})");

        // Every class's probability into your buffer; batches of any size, any stride.
        float[] probabilities = new float[model.Shape.Outputs];
        model.Predict(row, probabilities);
        int[] classes = new int[1];
        model.PredictClasses(new ReadOnlyMatrixSpan<float>(row, 1, 4), classes);
        #endregion
        return (p, probabilities, classes);
    }

    private static (float[] Probabilities, long Class, Prediction Ours) ServeExample(string dir)
    {
        (double[] pixels, int[] labels) = StairsData.Load("train.csv");
        float[] features = [.. pixels.Select(v => (float)v)];
        #region readme-serve
        // Train on scaled features; keep the scaling with the model.
        var scaling = FeatureScaling.Fit(new ReadOnlyMatrixSpan<float>(features, labels.Length, 4), ScalingKind.Standardize);
        float[] scaled = (float[])features.Clone();
        scaling.Apply(new MatrixSpan<float>(scaled, labels.Length, 4));
        var network = new Network<float>(new NetworkShape([4, 8, 2], HiddenActivation.Tanh), seed: 1);
        using (var trainer = new Trainer<float>(network, new AdamOptimizer<float>(network.Shape.ParameterCount),
            new TrainerOptions { BatchSize = 20, Epochs = 20, Seed = 1, LearningRate = LearningRateSchedule.Constant(0.02) }))
        {
            trainer.Fit(new Dataset<float>(scaled, labels, featureCount: 4, classCount: 2), validation: null);
        }

        var model = new TrainedModel<float>(network, scaling, classNames: ["Stairs", "Not stairs"]);
        ModelFile.Save(model, Path.Combine(dir, "stairs.bpm"));

        // Export to ONNX (or: backprop export stairs.bpm --onnx stairs.onnx) ...
        string onnxPath = Path.Combine(dir, "stairs.onnx");
        ModelFile.ExportOnnx(model, onnxPath);

        // ... and serve it from ONNX Runtime (Microsoft.ML.OnnxRuntime): raw features in, scaling inside.
        float[] row = [12, 200, 31, 250];
        using var session = new InferenceSession(onnxPath);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(row, [1, 4]);
        using var outputs = session.Run(runOptions, ["input"], [input], ["probabilities", "class"]);
        float[] probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        long predicted = outputs[1].GetTensorDataAsSpan<long>()[0];
        #endregion
        return (probabilities, predicted, model.Predict(row));
    }
}
