using System.Globalization;
using System.Text;
using Backprop.Training;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary>
/// The per-epoch metrics of a <c>train</c> run, written by <c>--metrics FILE</c>: CSV with a header
/// (<c>epoch,learning_rate,train_loss,train_accuracy[,val_loss,val_accuracy | ,test_loss,test_accuracy],seconds</c>),
/// or JSON (<c>{"held_out": …, "epochs": [{…}, …]}</c>, the same names) when the file name ends in
/// <c>.json</c>. Numbers are invariant round-trip text; the file is written atomically.
/// </summary>
internal sealed class MetricsLog
{
    private readonly List<(EpochMetrics Metrics, double Seconds)> _epochs;

    /// <param name="epochs">Epochs planned (the list's capacity: adding never reallocates).</param>
    /// <param name="heldOut">"val", "test" or null: which held-out set the epochs' validation metrics are.</param>
    public MetricsLog(int epochs, string? heldOut)
    {
        _epochs = new(epochs);
        HeldOut = heldOut;
    }

    public string? HeldOut { get; }

    public int Count => _epochs.Count;

    /// <summary>The column names, in order.</summary>
    public string[] Columns => HeldOut is string h
        ? ["epoch", "learning_rate", "train_loss", "train_accuracy", h + "_loss", h + "_accuracy", "seconds"]
        : ["epoch", "learning_rate", "train_loss", "train_accuracy", "seconds"];

    public void Add(EpochMetrics metrics, double seconds) => _epochs.Add((metrics, seconds));

    public void WriteIfAsked(string? path)
    {
        if (path is not null)
        {
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Json() : Csv()));
        }
    }

    public string Csv()
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', Columns)).Append('\n');
        foreach ((EpochMetrics m, double seconds) in _epochs)
        {
            text.Append(string.Join(',', Values(m, seconds))).Append('\n');
        }

        return text.ToString();
    }

    public string Json()
    {
        var text = new StringBuilder();
        text.Append("{\n  \"held_out\": ").Append(HeldOut is null ? "null" : $"\"{HeldOut}\"").Append(",\n  \"epochs\": [");
        string[] columns = Columns;
        for (int i = 0; i < _epochs.Count; i++)
        {
            string[] values = Values(_epochs[i].Metrics, _epochs[i].Seconds);
            text.Append(i == 0 ? "\n    {" : ",\n    {");
            for (int c = 0; c < columns.Length; c++)
            {
                text.Append(c == 0 ? string.Empty : ", ").Append('"').Append(columns[c]).Append("\": ").Append(values[c] is "NaN" or "Infinity" or "-Infinity" ? "null" : values[c]);
            }

            text.Append('}');
        }

        return text.Append("\n  ]\n}\n").ToString();
    }

    private string[] Values(EpochMetrics m, double seconds) => HeldOut is null
        ? [Number(m.Epoch), Number(m.LearningRate), Number(m.TrainingLoss), Number(m.TrainingAccuracy), Number(seconds)]
        : [Number(m.Epoch), Number(m.LearningRate), Number(m.TrainingLoss), Number(m.TrainingAccuracy), Number(m.ValidationLoss), Number(m.ValidationAccuracy), Number(seconds)];

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
