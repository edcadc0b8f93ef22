using System.Diagnostics;
using System.Globalization;
using Backprop.Training;

namespace Backprop.Cli;

/// <summary>
/// Per-epoch progress. Redirected output gets a plain table line every <c>every</c> epochs (and the
/// first and last); a terminal also gets a live line, rewritten in place at most ten times a second,
/// with a bar, the epoch, loss, accuracy and elapsed time.
/// </summary>
internal sealed class Progress
{
    private const int BarWidth = 24;
    private readonly TextWriter _out;
    private readonly bool _live;
    private readonly int _epochs;
    private readonly int _every;
    private readonly bool _validation;
    private readonly bool _quiet;
    private readonly Stopwatch _sinceRefresh = Stopwatch.StartNew();
    private int _liveWidth;

    public Progress(TextWriter output, bool live, int epochs, int every, bool validation, bool quiet)
    {
        _out = output;
        _live = live && !quiet;
        _epochs = epochs;
        _every = every;
        _validation = validation;
        _quiet = quiet;
    }

    /// <summary>A round reporting interval that gives about 15 lines: every epoch up to 30 epochs, then 2, 5, 10, 20, 25, 50, 100, ….</summary>
    public static int AutoInterval(int epochs)
    {
        if (epochs <= 30)
        {
            return 1;
        }

        double target = epochs / 15.0;
        for (long scale = 1; ; scale *= 10)
        {
            foreach (int m in new[] { 1, 2, 5 })
            {
                if (m * scale >= target)
                {
                    return (int)Math.Min(m * scale, int.MaxValue);
                }
            }
        }
    }

    public void Header()
    {
        if (_quiet)
        {
            return;
        }

        _out.WriteLine(_validation
            ? "  epoch   train loss  train acc   val loss    val acc       time"
            : "  epoch   train loss  train acc       time");
    }

    public void Epoch(EpochMetrics m, TimeSpan elapsed)
    {
        if (_quiet)
        {
            return;
        }

        bool permanent = m.Epoch == 1 || m.Epoch % _every == 0 || m.Epoch == _epochs;
        if (permanent)
        {
            ClearLive();
            _out.WriteLine(Line(m, elapsed));
        }

        if (_live && (m.Epoch == _epochs || _sinceRefresh.ElapsedMilliseconds >= 100))
        {
            _sinceRefresh.Restart();
            int filled = (int)((long)BarWidth * m.Epoch / _epochs);
            string text = string.Create(
                CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] epoch {m.Epoch}/{_epochs}  loss {m.TrainingLoss:F4}  acc {m.TrainingAccuracy:F4}{(m.HasValidation ? $"  val acc {m.ValidationAccuracy:F4}" : string.Empty)}  {Seconds(elapsed)}");
            _out.Write("\r" + text.PadRight(_liveWidth));
            _liveWidth = text.Length;
            _out.Flush();
        }
    }

    /// <summary>Removes the live line so that ordinary output can follow.</summary>
    public void Finish() => ClearLive();

    internal static string Seconds(TimeSpan t) =>
        t.TotalSeconds < 10 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F2} s") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F1} s");

    private void ClearLive()
    {
        if (_liveWidth > 0)
        {
            _out.Write("\r" + new string(' ', _liveWidth) + "\r");
            _liveWidth = 0;
        }
    }

    private string Line(EpochMetrics m, TimeSpan elapsed) => _validation
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Epoch,7}   {m.TrainingLoss,10:F4}  {m.TrainingAccuracy,9:F4}  {m.ValidationLoss,9:F4}  {m.ValidationAccuracy,9:F4}  {Seconds(elapsed),9}")
        : string.Create(CultureInfo.InvariantCulture, $"{m.Epoch,7}   {m.TrainingLoss,10:F4}  {m.TrainingAccuracy,9:F4}  {Seconds(elapsed),9}");
}
