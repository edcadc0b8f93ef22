using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary><c>predict</c>: CSV rows in (a file or standard input), class and probabilities out as CSV.</summary>
internal static class PredictCommand
{
    private static readonly string[] HeaderModes = ["auto", "yes", "no"];

    public static Command Create(CliConsole console)
    {
        var modelPath = new Argument<string>("model") { Description = "The model file (from train)." };
        var input = new Argument<string?>("input") { Description = "CSV file of feature rows; '-' or nothing for standard input.", Arity = ArgumentArity.ZeroOrOne };
        var header = new Option<string>("--header") { Description = "Whether the input starts with a header: auto (if any cell of the first row is not a number), yes or no. With a header, the model's features are picked by name and other columns ignored.", DefaultValueFactory = _ => "auto" };
        header.AcceptOnlyFromAmong(HeaderModes);
        var id = new Option<string?>("--id") { Description = "A column to copy to the output before the prediction (header name or 0-based index).", HelpName = "COLUMN" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the predictions to this file instead of standard output.", HelpName = "FILE" };
        var delimiter = new Option<string>("--delimiter") { Description = "Input cell delimiter: one ASCII character, or 'tab'.", DefaultValueFactory = _ => "," };
        var command = new Command("predict", "Predict the class of each CSV row: prints class,probability of each class (CSV, one line per input row).")
        {
            modelPath,
            input,
            header,
            id,
            output,
            delimiter,
        };
        command.SetAction(result =>
        {
            string path = result.GetValue(modelPath)!;
            TrainedModel model = ModelFile.Load(path);
            HeaderMode mode = result.GetValue(header) switch { "yes" => HeaderMode.Present, "no" => HeaderMode.Absent, _ => HeaderMode.Auto };
            string delimiterText = result.GetValue(delimiter) ?? ",";
            char sep = delimiterText is "tab" or "\\t" ? '\t'
                : delimiterText.Length == 1 && delimiterText[0] is not '"' && delimiterText[0] < 128 ? delimiterText[0]
                : throw new UsageException($"--delimiter '{delimiterText}': expected one ASCII character (not a quote) or 'tab'.");
            var settings = new Settings(result.GetValue(input), mode, result.GetValue(id), result.GetValue(output), sep);
            return model switch
            {
                TrainedModel<float> f => Run(f, settings, console),
                TrainedModel<double> d => Run(d, settings, console),
                _ => throw new InvalidDataException($"{path}: unsupported element type."),
            };
        });
        return command;
    }

    private static int Run<T>(TrainedModel<T> model, Settings settings, CliConsole console)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool fromStdin = settings.Input is null or "-";
        bool interactive = fromStdin && console.InputIsTerminal;
        Stream stream = fromStdin ? console.OpenInput() : OpenInputFile(settings.Input!);
        using var reader = new CsvFeatureReader<T>(stream, model.Shape.Inputs, model.FeatureNames, fromStdin ? "standard input" : settings.Input!, settings.Header, settings.Id, settings.Delimiter);
        TextWriter o = settings.Output is null ? console.Out : new StreamWriter(settings.Output, append: false, new UTF8Encoding(false));
        try
        {
            int batch = interactive ? 1 : 256;
            var features = new T[batch * model.Shape.Inputs];
            var probabilities = new T[batch * model.Shape.Outputs];
            var ids = settings.Id is null ? null : new List<string>(batch);
            var workspace = new Workspace<T>(model.Shape, batch, forTraining: false);
            var line = new StringBuilder();
            bool headerWritten = false;
            while (true)
            {
                var x = new MatrixSpan<T>(features, batch, model.Shape.Inputs);
                int rows = reader.ReadBatch(x, ids);
                if (!headerWritten)
                {
                    WriteHeader(o, model, settings.Id);
                    headerWritten = true;
                }

                if (rows == 0)
                {
                    break;
                }

                MatrixSpan<T> xs = x.SliceRows(0, rows);
                model.ScaleInputs(xs);
                var p = new MatrixSpan<T>(probabilities.AsSpan(0, rows * model.Shape.Outputs), rows, model.Shape.Outputs);
                model.Network.PredictProbabilities(xs, p, workspace);
                for (int r = 0; r < rows; r++)
                {
                    line.Clear();
                    if (ids is not null)
                    {
                        line.Append(Quote(ids[r])).Append(',');
                    }

                    ReadOnlySpan<T> row = p.Row(r);
                    int best = 0;
                    for (int c = 1; c < row.Length; c++)
                    {
                        if (row[c] > row[best])
                        {
                            best = c;
                        }
                    }

                    line.Append(Quote(model.ClassNames[best]));
                    foreach (T v in row)
                    {
                        line.Append(',').Append(double.CreateTruncating(v).ToString("0.######", CultureInfo.InvariantCulture));
                    }

                    o.WriteLine(line);
                }

                if (interactive)
                {
                    o.Flush();
                }
            }
        }
        finally
        {
            if (settings.Output is not null)
            {
                o.Dispose();
            }
            else
            {
                o.Flush();
            }
        }

        return ExitCodes.Success;
    }

    private static void WriteHeader(TextWriter o, TrainedModel model, string? id)
    {
        var header = new StringBuilder();
        if (id is not null)
        {
            header.Append(Quote(id)).Append(',');
        }

        header.Append("class");
        foreach (string name in model.ClassNames)
        {
            header.Append(',').Append(Quote("p(" + name + ")"));
        }

        o.WriteLine(header);
    }

    private static FileStream OpenInputFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"File not found: {path}", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
    }

    /// <summary>CSV-quotes a cell when it holds a comma, a quote or a line break.</summary>
    internal static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed record Settings(string? Input, HeaderMode Header, string? Id, string? Output, char Delimiter);
}
