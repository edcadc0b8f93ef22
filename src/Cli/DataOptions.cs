using System.CommandLine;

namespace Backprop.Cli;

/// <summary>The options that choose data, shared by <c>train</c> and <c>evaluate</c>.</summary>
internal sealed class DataOptions
{
    public Option<string?> Data { get; } = new("--data", "-d")
    {
        Description = "Data set: 'stairs' (the worked example, shipped), 'fashion-mnist' (Debian package dataset-fashion-mnist), or a CSV file with a header and a label column.",
        HelpName = "stairs|fashion-mnist|FILE.csv",
    };

    public Option<string?> Test { get; } = new("--test")
    {
        Description = "CSV test file (with --data FILE.csv): same columns and classes as the training file.",
        HelpName = "FILE.csv",
    };

    public Option<string?> Label { get; } = new("--label")
    {
        Description = "CSV label column: a header name, or a 0-based index (-1 = last). Default: the last column.",
        HelpName = "NAME|INDEX",
    };

    public Option<string[]> Ignore { get; } = new("--ignore")
    {
        Description = "CSV columns that are neither features nor the label, e.g. an id (name or index; repeat or separate with commas).",
        HelpName = "COLUMNS",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<bool> NoHeader { get; } = new("--no-header")
    {
        Description = "The CSV files have no header row (columns are then named by index).",
    };

    public Option<string> Delimiter { get; } = new("--delimiter")
    {
        Description = "CSV cell delimiter: one ASCII character, or 'tab'.",
        DefaultValueFactory = _ => ",",
    };

    public Option<string?> DataDirectory { get; } = new("--data-dir")
    {
        Description = "Folder with the Fashion-MNIST IDX files (default: $BACKPROP_FASHION_MNIST or /usr/share/datasets/fashion-mnist).",
        HelpName = "DIR",
    };

    public Option<int?> TrainRows { get; } = new("--train-rows")
    {
        Description = "Use only the first N training rows (e.g. a quick smoke test).",
        HelpName = "N",
    };

    public Option<int?> TestRows { get; } = new("--test-rows")
    {
        Description = "Use only the first N test rows.",
        HelpName = "N",
    };

    public void AddTo(Command command, bool includeTest)
    {
        command.Options.Add(Data);
        if (includeTest)
        {
            command.Options.Add(Test);
        }

        command.Options.Add(Label);
        command.Options.Add(Ignore);
        command.Options.Add(NoHeader);
        command.Options.Add(Delimiter);
        command.Options.Add(DataDirectory);
        command.Options.Add(TrainRows);
        command.Options.Add(TestRows);
    }

    public DataRequest Read(ParseResult result, string defaultData)
    {
        string delimiterText = result.GetValue(Delimiter) ?? ",";
        char delimiter = delimiterText switch
        {
            "tab" or "\\t" => '\t',
            { Length: 1 } when delimiterText[0] is not ('"' or '\r' or '\n') && delimiterText[0] < 128 => delimiterText[0],
            _ => throw new UsageException($"--delimiter '{delimiterText}': expected one ASCII character (not a quote) or 'tab'."),
        };
        int? trainRows = result.GetValue(TrainRows);
        int? testRows = result.GetValue(TestRows);
        if (trainRows is < 1 || testRows is < 1)
        {
            throw new UsageException("--train-rows and --test-rows must be at least 1.");
        }

        string data = result.GetValue(Data) ?? defaultData;
        string? test = result.GetValue(Test);
        if (test is not null && DataSources.IsPreset(data))
        {
            throw new UsageException($"--test is for CSV data; '{data}' comes with its own test set.");
        }

        string[] ignore = [.. (result.GetValue(Ignore) ?? []).SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        return new DataRequest(data, test, result.GetValue(Label), ignore, !result.GetValue(NoHeader), delimiter, result.GetValue(DataDirectory), trainRows, testRows);
    }
}
