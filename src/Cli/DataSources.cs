using System.Numerics;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary>What <c>--data</c> and its companions asked for.</summary>
/// <param name="Data"><c>stairs</c>, <c>fashion-mnist</c>, or a CSV path.</param>
/// <param name="Test">A CSV test file (CSV data only).</param>
/// <param name="Label">The label column (CSV only): name or 0-based index.</param>
/// <param name="Ignore">Columns to skip (CSV only).</param>
/// <param name="HasHeader">Whether CSV files start with a header.</param>
/// <param name="Delimiter">The CSV delimiter.</param>
/// <param name="DataDirectory">Where Fashion-MNIST is (null: the Debian package's folder).</param>
/// <param name="TrainRows">Keep only the first this many training rows.</param>
/// <param name="TestRows">Keep only the first this many test rows.</param>
internal sealed record DataRequest(string Data, string? Test, string? Label, IReadOnlyList<string> Ignore, bool HasHeader, char Delimiter, string? DataDirectory, int? TrainRows, int? TestRows);

/// <summary>Loaded data: the training set, the test set if there is one, and how to describe them.</summary>
internal sealed record LoadedData<T>(LabeledData<T> Train, LabeledData<T>? Test, string Name, string Description)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>The built-in data sets and CSV files behind <c>--data</c>.</summary>
internal static class DataSources
{
    public const string Stairs = "stairs";
    public const string FashionMnistName = "fashion-mnist";

    /// <summary>The worked example's classes: IsStairs 1 is class 0 "stairs", IsStairs 0 is class 1 "not stairs".</summary>
    public static readonly CsvOptions StairsOptions = new()
    {
        LabelColumn = "IsStairs",
        IgnoreColumns = ["ImageId"],
        ClassLabels = ["1", "0"],
        ClassNames = ["stairs", "not stairs"],
    };

    public static bool IsPreset(string data) => data is Stairs or FashionMnistName;

    /// <summary>Loads training (and test) data.</summary>
    public static LoadedData<T> LoadForTraining<T>(DataRequest request)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LoadedData<T> loaded;
        switch (request.Data)
        {
            case Stairs:
                {
                    string dir = StairsDirectory();
                    string train = Path.Combine(dir, "train.csv");
                    string test = Path.Combine(dir, "test.csv");
                    loaded = new(CsvLoader.Load<T>(train, StairsOptions), CsvLoader.Load<T>(test, StairsOptions), Stairs, $"stairs ({Shorten(train)}, {Shorten(test)})");
                    break;
                }

            case FashionMnistName:
                {
                    string dir = FashionMnist.ResolveDirectory(request.DataDirectory);
                    loaded = new(
                        FashionMnist.Load<T>(train: true, dir, request.TrainRows ?? int.MaxValue),
                        FashionMnist.Load<T>(train: false, dir, request.TestRows ?? int.MaxValue),
                        FashionMnistName,
                        $"fashion-mnist ({dir})");
                    break;
                }

            default:
                {
                    CsvOptions options = CsvFor(request);
                    LabeledData<T> train = CsvLoader.Load<T>(request.Data, options);
                    LabeledData<T>? test = null;
                    if (request.Test is not null)
                    {
                        // The test file must use the training file's columns and classes.
                        test = CsvLoader.Load<T>(request.Test, options with { ClassLabels = train.ClassLabels, ClassNames = train.ClassNames, FeatureColumns = request.HasHeader ? train.FeatureNames : null });
                    }

                    loaded = new(train, test, Path.GetFileName(request.Data), request.Test is null ? request.Data : $"{request.Data}, test {request.Test}");
                    break;
                }
        }

        return loaded with
        {
            Train = request.TrainRows is int n ? loaded.Train.Take(n) : loaded.Train,
            Test = request.TestRows is int m && loaded.Test is not null ? loaded.Test.Take(m) : loaded.Test,
        };
    }

    /// <summary>Loads labelled data to evaluate <paramref name="model"/> on: its features picked by name, its classes by label.</summary>
    public static LabeledData<T> LoadForModel<T>(DataRequest request, TrainedModel model, bool trainSplit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LabeledData<T> data;
        switch (request.Data)
        {
            case Stairs:
                data = CsvLoader.Load<T>(Shorten(Path.Combine(StairsDirectory(), trainSplit ? "train.csv" : "test.csv")), StairsOptions);
                break;
            case FashionMnistName:
                data = FashionMnist.Load<T>(trainSplit, FashionMnist.ResolveDirectory(request.DataDirectory), (trainSplit ? request.TrainRows : request.TestRows) ?? int.MaxValue);
                break;
            default:
                {
                    CsvOptions options = CsvFor(request) with
                    {
                        ClassLabels = model.ClassLabels,
                        ClassNames = model.ClassNames,
                        // With a header, always by name (--ignore is then moot): never by position, which reads the wrong columns when they are reordered.
                        FeatureColumns = request.HasHeader && model.FeatureNames.Count == model.Shape.Inputs ? model.FeatureNames : null,
                    };
                    data = CsvLoader.Load<T>(request.Data, options);
                    if (request.TestRows is int m)
                    {
                        data = data.Take(m);
                    }

                    break;
                }
        }

        CheckAgainstModel(data, model);
        return data;
    }

    /// <summary>Where the worked example's CSV files are: data/stairs in or above the current directory, else beside the tool (copied there at build).</summary>
    public static string StairsDirectory()
    {
        // The repository's copy first (so messages show data/stairs/… when run from a clone), then the one beside the tool.
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "stairs");
                if (File.Exists(Path.Combine(candidate, "train.csv")) && File.Exists(Path.Combine(candidate, "test.csv")))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("The stairs data set (data/stairs/train.csv and test.csv) was not found beside the tool or above the current directory; run from the repository or pass --data FILE.csv.");
    }

    private static void CheckAgainstModel<T>(LabeledData<T> data, TrainedModel model)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (data.FeatureCount != model.Shape.Inputs)
        {
            throw new InvalidDataException($"{data.SourceName} has {data.FeatureCount} features per row; the model takes {model.Shape.Inputs}.");
        }

        if (!data.ClassLabels.SequenceEqual(model.ClassLabels, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{data.SourceName} has classes ({string.Join(", ", data.ClassLabels)}); the model's are ({string.Join(", ", model.ClassLabels)}).");
        }
    }

    private static CsvOptions CsvFor(DataRequest request) => new()
    {
        LabelColumn = request.Label,
        IgnoreColumns = request.Ignore,
        HasHeader = request.HasHeader,
        Delimiter = request.Delimiter,
    };

    /// <summary>A path relative to the current directory when it is below it (data/stairs/test.csv), else as given.</summary>
    internal static string Shorten(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
