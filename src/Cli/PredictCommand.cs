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
        var input = new Argument<string?>("input") { Description = "CSV file of feature rows; 'stairs' for the shipped stairs test set (data/stairs/test.csv, travels with the tool; write ./stairs for a file of that name); '-' or nothing for standard input.", Arity = ArgumentArity.ZeroOrOne };
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
            HeaderMode mode = result.GetValue(header) switch { "yes" => HeaderMode.Present, "no" => HeaderMode.Absent, _ => HeaderMode.Auto };
            string delimiterText = result.GetValue(delimiter) ?? ",";
            char sep = delimiterText is "tab" or "\\t" ? '\t'
                : delimiterText.Length == 1 && delimiterText[0] is not '"' && delimiterText[0] < 128 ? delimiterText[0]
                : throw new UsageException($"--delimiter '{delimiterText}': expected one ASCII character (not a quote) or 'tab'.");
            string? inputPath = result.GetValue(input) is DataSources.Stairs ? DataSources.Shorten(Path.Combine(DataSources.StairsDirectory(), "test.csv")) : result.GetValue(input);
            var settings = new Settings(inputPath, mode, result.GetValue(id), result.GetValue(output), sep);
            OutputGuard.Check("--output", settings.Output, [path, settings.Input]);
            TrainedModel model = ModelFile.Load(path);
            return model switch
            {
                TrainedModel<float> f => Run(f, settings, console),
                TrainedModel<double> d => Run(d, settings, console),
                _ => throw new InvalidDataException($"{path}: unsupported element type."),
            };
        });
        return command;
    }

    /// <summary>Rows per batch when reading a file: 256, fewer for models so wide that a batch's buffers would pass <see cref="MaxBatchElements"/>.</summary>
    internal static int BatchRows(NetworkShape shape)
    {
        long widest = 1;
        foreach (int size in shape.LayerSizes)
        {
            widest = Math.Max(widest, size);
        }

        return (int)Math.Clamp(MaxBatchElements / widest, 1, 256);
    }

    /// <summary>The most elements a batch buffer holds (unless one row alone is wider).</summary>
    internal const long MaxBatchElements = 1 << 24;

    private static int Run<T>(TrainedModel<T> model, Settings settings, CliConsole console)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (settings.Output is null)
        {
            try
            {
                Predict(model, settings, console, console.Out);
            }
            finally
            {
                console.Out.Flush();
            }
        }
        else
        {
            // Written to a temporary file and renamed over the target only when every row succeeded.
            AtomicFile.Write(settings.Output, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true);
                Predict(model, settings, console, writer);
            });
        }

        return ExitCodes.Success;
    }

    private static void Predict<T>(TrainedModel<T> model, Settings settings, CliConsole console, TextWriter o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool fromStdin = settings.Input is null or "-";
        bool interactive = fromStdin && console.InputIsTerminal;
        string source = fromStdin ? "standard input" : settings.Input!;
        var capture = new FirstLineCapture(fromStdin ? console.OpenInput() : OpenInputFile(settings.Input!));
        using var reader = new CsvFeatureReader<T>(capture, model.Shape.Inputs, model.FeatureNames, source, settings.Header, settings.Id, settings.Delimiter);
        int batch = interactive ? 1 : BatchRows(model.Shape);
        var features = new T[checked(batch * model.Shape.Inputs)];
        var probabilities = new T[checked(batch * model.Shape.Outputs)];
        var ids = settings.Id is null ? null : new List<string>(batch);
        var workspace = new Workspace<T>(model.Shape, batch, forTraining: false);
        var line = new StringBuilder();
        bool headerWritten = false;
        long rowsDone = 0;
        while (true)
        {
            var x = new MatrixSpan<T>(features, batch, model.Shape.Inputs);
            int rows = reader.ReadBatch(x, ids);
            if (!headerWritten)
            {
                if (reader.HasHeader)
                {
                    CheckHeaderNamesFeatures(model, capture, settings.Delimiter, source);
                }

                WriteHeader(o, model, settings.Id);
                headerWritten = true;
            }

            if (rows == 0)
            {
                break;
            }

            MatrixSpan<T> xs = x.SliceRows(0, rows);
            model.ScaleInputs(xs, reader.SourceName, reader.BatchLines.Length == rows ? reader.BatchLines : default);
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
                for (int c = 0; c < row.Length; c++)
                {
                    if (!T.IsFinite(row[c]))
                    {
                        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}, data row {rowsDone + r + 1}: the model's probabilities are not finite ({double.CreateTruncating(row[c])} for class {Quote(model.ClassNames[c])}): its weights are too extreme for these inputs."));
                    }

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

            rowsDone += rows;
            if (interactive)
            {
                o.Flush();
            }
        }

        o.Flush();
    }

    /// <summary>
    /// With a header, the model's features are picked by name; a header that does not name them all
    /// is refused rather than read by position (the reader's fallback), naming what is expected.
    /// Models without feature names (from the library, not <c>train</c>) are read by position.
    /// </summary>
    private static void CheckHeaderNamesFeatures(TrainedModel model, FirstLineCapture capture, char delimiter, string source)
    {
        IReadOnlyList<string> expected = model.FeatureNames;
        if (expected.Count != model.Shape.Inputs || !capture.Complete)
        {
            return;
        }

        var names = new HashSet<string>(SplitHeader(capture.FirstLine(), delimiter), StringComparer.Ordinal);
        string[] missing = [.. expected.Where(n => !names.Contains(n))];
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"{source}, line 1: the header does not name the model's feature column(s) {List(missing)}; the model expects {expected.Count} features: {List(expected)}. Name the columns so, or give headerless rows in the model's order with --header no.");
        }
    }

    private static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(8).Select(n => n.Length > 40 ? string.Concat(n.AsSpan(0, 40), "…") : n)) + (names.Count > 8 ? string.Create(CultureInfo.InvariantCulture, $", … ({names.Count} in all)") : string.Empty);

    /// <summary>The cells of a CSV header line (quotes as in the reader: <c>"a,b"</c>, <c>""</c> inside quotes).</summary>
    internal static List<string> SplitHeader(string line, char delimiter)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == delimiter)
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString().Trim());
        return cells;
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
