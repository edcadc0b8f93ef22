using System.Numerics;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Backprop.Properties.Training.Persistence;

/// <summary>
/// Models exported with <see cref="ModelFile.ExportOnnx(TrainedModel, Stream)"/> are loaded by ONNX
/// Runtime (one intra-op thread) and run on the worked example's real rows (data/stairs, raw pixels;
/// the model's scaling is in the graph), against this library's own predictions.
/// </summary>
public class OnnxExportProperties(ITestOutputHelper output)
{
    public static TheoryData<HiddenActivation, int> Networks()
    {
        var data = new TheoryData<HiddenActivation, int>();
        foreach (HiddenActivation f in Enum.GetValues<HiddenActivation>())
        {
            for (int hidden = 1; hidden <= 3; hidden++)
            {
                data.Add(f, hidden);
            }
        }

        return data;
    }

    /// <summary>Float models: every probability within 1e-5 of the library's, the same classes (where the top two are not within rounding of each other).</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void FloatExportRunsInOnnxRuntimeWithTheSameProbabilities(HiddenActivation activation, int hidden) => RoundTrip<float>(activation, hidden, 1e-5);

    /// <summary>Double models export as double: within 1e-12.</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void DoubleExportRunsInOnnxRuntimeWithTheSameProbabilities(HiddenActivation activation, int hidden) => RoundTrip<double>(activation, hidden, 1e-12);

    internal static TrainedModel<T> TrainStairs<T>(HiddenActivation activation, int hidden, ScalingKind kind = ScalingKind.Standardize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (double[] raw, int[] labels) = StairsData.Load("train.csv");
        T[] x = [.. raw.Select(T.CreateTruncating)];
        var scaling = FeatureScaling.Fit(TestData.View(x, 4), kind);
        T[] scaled = (T[])x.Clone();
        scaling.Apply(new MatrixSpan<T>(scaled, labels.Length, 4));
        int[] sizes = [4, .. Enumerable.Range(0, hidden).Select(i => 9 - i), 2];
        var network = new Network<T>(new NetworkShape(sizes, activation), seed: (ulong)(3 + hidden));
        using var trainer = new Trainer<T>(network, new AdamOptimizer<T>(network.Shape.ParameterCount),
            new TrainerOptions { BatchSize = 20, Epochs = 15, Seed = 1, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(0.02) });
        trainer.Fit(new Dataset<T>(scaled, labels, 4, 2), validation: null);
        return new TrainedModel<T>(network, scaling, classLabels: ["stairs", "other"], classNames: ["Stairs", "Not stairs"], featureNames: ["R1C1", "R1C2", "R2C1", "R2C2"], description: "stairs test");
    }

    private void RoundTrip<T>(HiddenActivation activation, int hidden, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TrainedModel<T> model = TrainStairs<T>(activation, hidden);
        (double[] raw, _) = StairsData.Load("test.csv");
        T[] x = [.. raw.Select(T.CreateTruncating)];
        int rows = x.Length / 4;
        T[] expected = new T[rows * 2];
        int[] expectedClasses = new int[rows];
        model.PredictProbabilities(TestData.View(x, 4), new MatrixSpan<T>(expected, rows, 2));
        model.PredictClasses(TestData.View(x, 4), expectedClasses);

        using var stream = new MemoryStream();
        ModelFile.ExportOnnx(model, stream);
        (T[] probabilities, long[] classes, Dictionary<string, string> metadata) = RunOnnx(stream.ToArray(), x, rows, 4);

        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(double.CreateTruncating(probabilities[i]) - double.CreateTruncating(expected[i]));
            worst = Math.Max(worst, d);
            Assert.True(d <= tolerance, $"probability {i}: ONNX Runtime {probabilities[i]}, library {expected[i]}");
        }

        for (int r = 0; r < rows; r++)
        {
            if (Math.Abs(double.CreateTruncating(expected[2 * r] - expected[(2 * r) + 1])) > 2 * tolerance)
            {
                Assert.Equal(expectedClasses[r], (int)classes[r]);
            }
        }

        Assert.Equal("Not stairs", metadata["class_name.1"]);
        Assert.Equal("stairs", metadata["class_label.0"]);
        Assert.Equal("R2C2", metadata["feature_name.3"]);
        Assert.Equal("stairs test", metadata["description"]);
        output.WriteLine($"{typeof(T).Name} {activation} ×{hidden}: {rows} rows, largest probability difference {worst:E2}");
    }

    /// <summary>Runs an ONNX model in ONNX Runtime with one intra-op thread.</summary>
    internal static (T[] Probabilities, long[] Classes, Dictionary<string, string> Metadata) RunOnnx<T>(byte[] onnx, T[] features, int rows, int columns)
        where T : unmanaged
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, columns]);
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, ["input"], [input], ["probabilities", "class"]);
        return (results[0].GetTensorDataAsSpan<T>().ToArray(), results[1].GetTensorDataAsSpan<long>().ToArray(), new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap));
    }

    [Fact]
    public void ExportToAPathIsAtomicAndRefusesNonFiniteParameters()
    {
        TrainedModel<float> model = TrainStairs<float>(HiddenActivation.Tanh, 1);
        string dir = Directory.CreateTempSubdirectory("onnx-export").FullName;
        try
        {
            string path = Path.Combine(dir, "model.onnx");
            ModelFile.ExportOnnx(model, path);
            byte[] written = File.ReadAllBytes(path);
            Assert.Equal(ModelFile.OnnxBytes(model), written);
            Assert.Single(Directory.GetFiles(dir));

            model.Network.Parameters[3] = float.NaN;
            Assert.Equal("model", Assert.Throws<ArgumentException>(() => ModelFile.ExportOnnx(model, path)).ParamName);
            Assert.Equal(written, File.ReadAllBytes(path));
            Assert.Throws<IOException>(() => ModelFile.ExportOnnx(new TrainedModel<float>(new Network<float>(new NetworkShape([2, 2]), 1)), dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
