using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary><c>evaluate</c>: a saved model's loss, accuracy and confusion matrix on a data set.</summary>
internal static class EvaluateCommand
{
    private static readonly string[] Splits = ["test", "train"];

    public static Command Create(CliConsole console)
    {
        var modelPath = new Argument<string>("model") { Description = "The model file (from train)." };
        var data = new DataOptions();
        var split = new Option<string>("--split") { Description = "For stairs and fashion-mnist: evaluate on the test or the train split.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong(Splits);
        var command = new Command("evaluate", "Evaluate a saved model on labelled data: loss, accuracy and confusion matrix. The features are scaled as at training.")
        {
            modelPath,
        };
        data.AddTo(command, includeTest: false);
        command.Options.Add(split);
        command.SetAction(result =>
        {
            string path = result.GetValue(modelPath)!;
            TrainedModel model = ModelFile.Load(path);
            string? requested = result.GetValue(data.Data);
            string dataName = requested ?? (DataSources.IsPreset(model.Description) ? model.Description
                : throw new UsageException($"the model was trained on '{model.Description}'; say which data to evaluate on with --data (stairs, fashion-mnist or a CSV file)."));
            DataRequest request = data.Read(result, dataName);
            bool trainSplit = result.GetValue(split) == "train";
            return model switch
            {
                TrainedModel<float> f => Run(f, path, request, trainSplit, console),
                TrainedModel<double> d => Run(d, path, request, trainSplit, console),
                _ => throw new InvalidDataException($"{path}: unsupported element type."),
            };
        });
        return command;
    }

    private static int Run<T>(TrainedModel<T> model, string path, DataRequest request, bool trainSplit, CliConsole console)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LabeledData<T> data = DataSources.LoadForModel<T>(request, model, trainSplit);
        model.ScaleInputs(data.FeatureMatrix, data.SourceName, data.Lines.Span);
        // The library's metrics: exact log-loss from the logits, counts per class, the confusion matrix.
        int classes = model.Shape.Outputs;
        var metrics = new ClassificationMetrics(classes);
        new Predictor<T>(model.Network, 256).Evaluate(data.FeatureMatrix, data.Labels.Span, metrics);
        if (!double.IsFinite(metrics.LogLoss))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the model's outputs on {data.SourceName} are not finite (loss {metrics.LogLoss}): its weights are too extreme for these inputs."));
        }

        TextWriter o = console.Out;
        o.WriteLine($"Model:     {path} ({model.Shape}, {(model.ElementType == typeof(float) ? "float" : "double")}, scaling {(model.Scaling is null ? "none" : model.Scaling.Kind.ToString().ToLowerInvariant())})");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Data:      {data.SourceName} ({data.Count} rows)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Loss:      {metrics.LogLoss:F4}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Accuracy:  {metrics.Accuracy:F4} ({metrics.Correct}/{metrics.Count})"));
        o.WriteLine();
        if (classes <= MaxMatrixClasses)
        {
            long[,] confusion = new long[classes, classes];
            for (int t = 0; t < classes; t++)
            {
                for (int p = 0; p < classes; p++)
                {
                    confusion[t, p] = metrics.Confusion(t, p);
                }
            }

            o.Write(ConfusionTable(confusion, model.ClassNames));
        }
        else
        {
            o.Write(PerClassTable(metrics, model.ClassNames));
        }

        return ExitCodes.Success;
    }

    /// <summary>Up to this many classes the full confusion matrix is printed; above, a per-class summary (memory and output linear in the classes).</summary>
    internal const int MaxMatrixClasses = 30;

    /// <summary>Per class that occurs in the data or the predictions: rows, predictions, correct ones, recall and precision.</summary>
    internal static string PerClassTable(ClassificationMetrics metrics, IReadOnlyList<string> names)
    {
        int n = names.Count;
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Per class ({n} classes; the full confusion matrix is printed up to {MaxMatrixClasses})"));
        text.AppendLine("  class                                     rows   predicted   correct   recall   precision");
        int omitted = 0;
        for (int c = 0; c < n; c++)
        {
            long truth = metrics.Support(c), guessed = metrics.PredictedCount(c), right = metrics.CorrectCount(c);
            if (truth == 0 && guessed == 0)
            {
                omitted++;
                continue;
            }

            string name = $"{c} {names[c]}";
            name = name.Length > 38 ? string.Concat(name.AsSpan(0, 37), "…") : name;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-38} {truth,9} {guessed,11} {right,9} {Ratio(right, truth),8} {Ratio(right, guessed),11}"));
        }

        if (omitted > 0)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  ({omitted} classes neither in the data nor predicted are not listed)"));
        }

        return text.ToString();
    }

    /// <summary>Rows are the true classes, columns the predicted ones, with recall per row and precision per column.</summary>
    internal static string ConfusionTable(long[,] confusion, IReadOnlyList<string> names)
    {
        int n = names.Count;
        bool wide = n > 6 || names.Any(s => s.Length > 12);
        string[] heads = [.. Enumerable.Range(0, n).Select(i => wide ? i.ToString(CultureInfo.InvariantCulture) : names[i])];
        string[] rowNames = [.. Enumerable.Range(0, n).Select(i => wide ? $"{i} {names[i]}" : names[i])];
        long max = 0;
        foreach (long v in confusion)
        {
            max = Math.Max(max, v);
        }

        int cell = Math.Max(Math.Max(heads.Max(h => h.Length), max.ToString(CultureInfo.InvariantCulture).Length), 6);
        int first = Math.Max(rowNames.Max(r => r.Length), "precision".Length);
        var text = new StringBuilder();
        text.AppendLine("Confusion matrix (rows: true class, columns: predicted class)");
        text.Append(new string(' ', first + 2));
        foreach (string h in heads)
        {
            text.Append("  ").Append(h.PadLeft(cell));
        }

        text.Append("  ").AppendLine("recall");
        for (int t = 0; t < n; t++)
        {
            text.Append("  ").Append(rowNames[t].PadRight(first));
            long total = 0;
            for (int p = 0; p < n; p++)
            {
                text.Append("  ").Append(confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(cell));
                total += confusion[t, p];
            }

            text.Append("  ").AppendLine(Ratio(confusion[t, t], total));
        }

        text.Append("  ").Append("precision".PadRight(first));
        for (int p = 0; p < n; p++)
        {
            long column = 0;
            for (int t = 0; t < n; t++)
            {
                column += confusion[t, p];
            }

            text.Append("  ").Append(Ratio(confusion[p, p], column).PadLeft(cell));
        }

        return text.AppendLine().ToString();
    }

    private static string Ratio(long part, long whole) =>
        whole == 0 ? "-" : ((double)part / whole).ToString("F3", CultureInfo.InvariantCulture);
}
