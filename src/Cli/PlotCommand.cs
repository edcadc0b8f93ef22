using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using ScottPlot;

namespace Backprop.Cli;

/// <summary>The columns and rows of a <c>--metrics</c> file (CSV or JSON), as numbers.</summary>
/// <param name="Columns">The column names, <c>epoch</c> first.</param>
/// <param name="Rows">One row per epoch; NaN where JSON has null.</param>
internal sealed record MetricsTable(string[] Columns, double[][] Rows)
{
    /// <summary>The values of one column, or null when the file has no such column.</summary>
    public double[]? Column(string name)
    {
        int i = Array.IndexOf(Columns, name);
        return i < 0 ? null : [.. Rows.Select(r => r[i])];
    }

    /// <summary>Reads a file written by <c>train --metrics</c>; anything else is an <see cref="InvalidDataException"/> naming the file and line.</summary>
    public static MetricsTable Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"File not found: {path}", path);
        }

        string text = File.ReadAllText(path);
        return text.TrimStart().StartsWith('{') ? FromJson(text, path) : FromCsv(text, path);
    }

    private static MetricsTable FromCsv(string text, string path)
    {
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path}: empty; expected the CSV that train --metrics writes.");
        }

        string[] columns = lines[0].Split(',');
        Check(columns, path);
        var rows = new double[lines.Length - 1][];
        for (int l = 1; l < lines.Length; l++)
        {
            string[] cells = lines[l].Split(',');
            if (cells.Length != columns.Length)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}, line {l + 1}: {cells.Length} cells; the header has {columns.Length}."));
            }

            rows[l - 1] = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out rows[l - 1][c]))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}, line {l + 1}, column {c + 1} ('{columns[c]}'): '{Cut(cells[c])}' is not a number."));
                }
            }
        }

        return new MetricsTable(columns, rows);
    }

    private static MetricsTable FromJson(string text, string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement[] epochs = [.. doc.RootElement.GetProperty("epochs").EnumerateArray()];
            string[] columns = epochs.Length == 0 ? ["epoch"] : [.. epochs[0].EnumerateObject().Select(p => p.Name)];
            Check(columns, path);
            double[][] rows = [.. epochs.Select(e => columns.Select(c => e.GetProperty(c) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : double.NaN).ToArray())];
            return new MetricsTable(columns, rows);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not the JSON that train --metrics writes ({e.Message}).", e);
        }
    }

    private static void Check(string[] columns, string path)
    {
        foreach (string needed in new[] { "epoch", "train_loss", "train_accuracy" })
        {
            if (!columns.Contains(needed))
            {
                throw new InvalidDataException($"{path}: no '{needed}' column; expected the file that train --metrics writes (columns {string.Join(',', columns.Select(Cut))}).");
            }
        }
    }

    private static string Cut(string s) => s.Length > 40 ? string.Concat(s.AsSpan(0, 40), "…") : s;
}

/// <summary>
/// <c>plot</c>: renders a <c>--metrics</c> file's loss and accuracy curves (training and held-out
/// set against the epoch) and, with <c>--model</c>, the model's confusion matrix on a data set, side by
/// side into one PNG (ScottPlot), written atomically.
/// </summary>
internal static class PlotCommand
{
    public const int PanelWidth = 560;
    public const int Height = 440;

    private static readonly string[] Splits = ["test", "train"];

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ];

    private static readonly Lock FontGate = new();
    private static bool fontReady;

    public static Command Create(CliConsole console)
    {
        var metrics = new Argument<string>("metrics") { Description = "The metrics file written by train --metrics (CSV or JSON)." };
        var output = new Option<string?>("--output", "-o") { Description = "The PNG to write (default: the metrics file's name with .png).", HelpName = "FILE.png" };
        var model = new Option<string?>("--model", "-m") { Description = "Also draw this model's confusion matrix on --data (default: the data set it was trained on, for stairs and fashion-mnist).", HelpName = "FILE" };
        var data = new DataOptions();
        var split = new Option<string>("--split") { Description = "For stairs and fashion-mnist: the confusion matrix on the test or the train split.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong(Splits);
        var command = new Command("plot", "Draw the loss and accuracy curves of a train --metrics file, and a model's confusion matrix, to a PNG.")
        {
            metrics,
            output,
            model,
        };
        data.AddTo(command, includeTest: false);
        command.Options.Add(split);
        command.SetAction(result =>
        {
            string path = result.GetValue(metrics)!;
            string target = result.GetValue(output) ?? Path.ChangeExtension(path, ".png");
            string? modelPath = result.GetValue(model);
            OutputGuard.Check("--output", target, [path, modelPath, result.GetValue(data.Data)]);
            MetricsTable table = MetricsTable.Load(path);
            (long[,] Counts, string[] Names, string Source)? confusion = null;
            if (modelPath is not null)
            {
                TrainedModel trained = ModelFile.Load(modelPath);
                string dataName = result.GetValue(data.Data) ?? (DataSources.IsPreset(trained.Description) ? trained.Description
                    : throw new UsageException($"the model was trained on '{trained.Description}'; say which data to draw its confusion matrix on with --data."));
                DataRequest request = data.Read(result, dataName);
                bool trainSplit = result.GetValue(split) == "train";
                confusion = trained switch
                {
                    TrainedModel<float> f => Confusion(f, request, trainSplit),
                    TrainedModel<double> d => Confusion(d, request, trainSplit),
                    _ => throw new InvalidDataException($"{modelPath}: unsupported element type."),
                };
            }

            Multiplot figure = Draw(table, confusion);
            byte[] png = figure.Render(PanelWidth * figure.Count(), Height).GetImageBytes(ImageFormat.Png, 100);
            AtomicFile.Write(target, png);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Plotted:   {target} ({table.Rows.Length} epochs{(confusion is null ? string.Empty : $", confusion matrix on {confusion.Value.Source}")})"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The figure: loss and accuracy against the epoch (training and held-out), and the confusion matrix when given.</summary>
    internal static Multiplot Draw(MetricsTable table, (long[,] Counts, string[] Names, string Source)? confusion)
    {
        SetUpFont();
        double[] epochs = table.Column("epoch")!;
        string? heldOut = table.Columns.FirstOrDefault(c => c.EndsWith("_loss", StringComparison.Ordinal) && c != "train_loss")?[..^"_loss".Length];
        var figure = new Multiplot();
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        while (figure.Count() > 0)
        {
            figure.RemovePlot(figure.GetPlot(0));
        }

        foreach ((string what, string label) in new[] { ("loss", "Loss (cross-entropy)"), ("accuracy", "Accuracy") })
        {
            Plot plot = figure.AddPlot();
            plot.Title(label);
            plot.XLabel("epoch");
            var train = plot.Add.Scatter(epochs, table.Column("train_" + what)!);
            train.LegendText = "train";
            train.MarkerSize = epochs.Length > 60 ? 0 : 4;
            if (heldOut is not null && table.Column(heldOut + "_" + what) is double[] held)
            {
                var h = plot.Add.Scatter(epochs, held);
                h.LegendText = heldOut == "val" ? "validation" : heldOut;
                h.MarkerSize = epochs.Length > 60 ? 0 : 4;
            }

            plot.ShowLegend(what == "loss" ? Alignment.UpperRight : Alignment.LowerRight);
        }

        if (confusion is var (counts, names, source))
        {
            Plot plot = figure.AddPlot();
            int n = names.Length;
            var colormap = new ScottPlot.Colormaps.Blues();
            for (int t = 0; t < n; t++)
            {
                long total = 0;
                for (int p = 0; p < n; p++)
                {
                    total += counts[t, p];
                }

                for (int p = 0; p < n; p++)
                {
                    // One cell per (true, predicted) pair, shaded by its share of the true class's rows
                    // (Blues runs from dark at 0 to light at 1); the true class runs down, the predicted across.
                    double share = total == 0 ? 0 : (double)counts[t, p] / total;
                    double y = n - 1 - t;
                    var cell = plot.Add.Rectangle(p - 0.5, p + 0.5, y - 0.5, y + 0.5);
                    cell.FillColor = colormap.GetColor(1 - share);
                    cell.LineWidth = 0;
                    var text = plot.Add.Text(counts[t, p].ToString(CultureInfo.InvariantCulture), p, y);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = n > 6 ? 10 : 14;
                    text.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
                }
            }

            bool wide = n > 6 || names.Any(s => s.Length > 12);
            plot.Title("Confusion matrix (rows: true, columns: predicted)", 12);
            plot.XLabel($"predicted class ({source})");
            plot.YLabel("true class");
            plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)i)], [.. Enumerable.Range(0, n).Select(i => wide ? i.ToString(CultureInfo.InvariantCulture) : names[i])]);
            plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], [.. Enumerable.Range(0, n).Select(i => wide ? $"{i} {Short(names[i])}" : names[i])]);
            plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        }

        return figure;
    }

    private static string Short(string name) => name.Length > 12 ? string.Concat(name.AsSpan(0, 11), "…") : name;

    private static (long[,] Counts, string[] Names, string Source) Confusion<T>(TrainedModel<T> model, DataRequest request, bool trainSplit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LabeledData<T> data = DataSources.LoadForModel<T>(request, model, trainSplit);
        model.ScaleInputs(data.FeatureMatrix, data.SourceName, data.Lines.Span);
        int[] predicted = new int[data.Count];
        model.Network.PredictClasses(data.FeatureMatrix, predicted, new Workspace<T>(model.Shape, 256, forTraining: false));
        int n = model.Shape.Outputs;
        if (n > EvaluateCommand.MaxMatrixClasses)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--model: {n} classes; a confusion matrix is drawn for at most {EvaluateCommand.MaxMatrixClasses} (evaluate prints a per-class summary)."));
        }

        long[,] counts = new long[n, n];
        ReadOnlySpan<int> labels = data.Labels.Span;
        for (int i = 0; i < predicted.Length; i++)
        {
            counts[labels[i], predicted[i]]++;
        }

        return (counts, [.. model.ClassNames], data.SourceName);
    }

    /// <summary>DejaVu Sans from its file when installed (as the benchmark charts), so text does not depend on fontconfig.</summary>
    private static void SetUpFont()
    {
        lock (FontGate)
        {
            if (!fontReady && FontFiles.FirstOrDefault(File.Exists) is string regular)
            {
                Fonts.AddFontFile("DejaVu Sans", regular, bold: false, italic: false);
                Fonts.Default = "DejaVu Sans";
            }

            fontReady = true;
        }
    }
}
