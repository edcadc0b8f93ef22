using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Training;

namespace Backprop.Samples.Stairs;

/// <summary>
/// The worked example end to end: load data/stairs, build the 4-2-2 sigmoid network with the
/// textbook's initial weights (<see cref="WorkedExample"/>, shared with the tool and the tests; augmented form, bias row first), train it with full-batch gradient
/// descent (η = 0.1, 1500 epochs, raw pixels 0–255), then evaluate and predict.
/// <c>dotnet run -c Release --project samples/Stairs [-- [--float] [data directory]]</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool useFloat = args.Contains("--float");
        string? directory = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? FindDataDirectory();
        if (directory is null || !File.Exists(Path.Combine(directory, "train.csv")))
        {
            Console.Error.WriteLine("data/stairs not found; pass its directory as an argument.");
            return 1;
        }

        if (useFloat)
        {
            Run<float>(directory);
        }
        else
        {
            Run<double>(directory);
        }

        return 0;
    }

    private static void Run<T>(string directory)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (T[] trainX, int[] trainY) = StairsCsv.Read<T>(Path.Combine(directory, "train.csv"));
        (T[] testX, int[] testY) = StairsCsv.Read<T>(Path.Combine(directory, "test.csv"));
        var train = new Dataset<T>(trainX, trainY, featureCount: 4, classCount: 2);
        var test = new Dataset<T>(testX, testY, featureCount: 4, classCount: 2);

        var network = new Network<T>(new NetworkShape(WorkedExample.LayerSizes, HiddenActivation.Sigmoid));
        network.ImportAugmented(0, new ReadOnlyMatrixSpan<T>(Convert<T>(WorkedExample.W1), 5, 2));
        network.ImportAugmented(1, new ReadOnlyMatrixSpan<T>(Convert<T>(WorkedExample.W2), 3, 2));

        var options = new TrainerOptions
        {
            BatchSize = train.Count, // full batch, as in the derivation
            Epochs = 1500,
            Shuffle = false,
            LearningRate = LearningRateSchedule.Constant(0.1),
        };
        using var trainer = new Trainer<T>(network, new SgdOptimizer<T>(network.Shape.ParameterCount), options);
        Console.WriteLine($"{network.Shape} network, {typeof(T).Name}, {train.Count} training rows, {test.Count} test rows");
        Console.WriteLine(Invariant($"initial mean cross-entropy on train: {trainer.Evaluate(train).Loss:F10}"));

        Action<EpochMetrics> progress = m =>
        {
            if (m.Epoch % 100 == 0)
            {
                Console.WriteLine(Invariant($"epoch {m.Epoch,4}: train loss {m.TrainingLoss:F4}, train accuracy {m.TrainingAccuracy:F3}, test loss {m.ValidationLoss:F4}, test accuracy {m.ValidationAccuracy:F3}"));
            }
        };
        var clock = Stopwatch.StartNew();
        TrainingResult result = trainer.Fit(train, test, progress);
        clock.Stop();
        Evaluation final = trainer.Evaluate(test);
        Console.WriteLine(Invariant($"{result.Epochs} epochs in {clock.Elapsed.TotalMilliseconds:F0} ms; test loss {final.Loss:F4}, test accuracy {final.Accuracy:F2}"));

        for (int l = 0; l < 2; l++)
        {
            LayerView<T> layer = network.Layer(l);
            T[] augmented = new T[(layer.FanIn + 1) * layer.FanOut];
            network.ExportAugmented(l, new MatrixSpan<T>(augmented, layer.FanIn + 1, layer.FanOut));
            Console.WriteLine($"W{l + 1} (augmented, row 1 = bias):");
            for (int i = 0; i <= layer.FanIn; i++)
            {
                Console.WriteLine("  " + string.Join("  ", augmented.Skip(i * layer.FanOut).Take(layer.FanOut).Select(v => Invariant($"{v,12:F6}"))));
            }
        }

        // Prediction from any number of threads: a predictor pools the workspaces.
        var predictor = new Predictor<T>(network, maxBatchSize: 64);
        T[] images = Convert<T>([252, 4, 155, 175, 175, 10, 186, 200, 82, 131, 230, 100, 115, 138, 80, 88]);
        T[] probabilities = new T[4 * 2];
        predictor.PredictProbabilities(new ReadOnlyMatrixSpan<T>(images, 4, 4), new MatrixSpan<T>(probabilities, 4, 2));
        for (int r = 0; r < 4; r++)
        {
            string pixels = string.Join(",", images.Skip(r * 4).Take(4));
            Console.WriteLine(Invariant($"image [{pixels}]: P(stairs) = {probabilities[2 * r]:F3}"));
        }
    }

    private static T[] Convert<T>(ReadOnlySpan<double> values)
        where T : INumberBase<T>
    {
        var converted = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            converted[i] = T.CreateTruncating(values[i]);
        }

        return converted;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string? FindDataDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "stairs");
                if (File.Exists(Path.Combine(candidate, "train.csv")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
