using System.Diagnostics;
using System.Globalization;
using Backprop.Training;

namespace Backprop.Cli;

/// <summary>
/// Training progress. Redirected output gets a plain table line every <c>every</c> epochs (and the
/// first and last), with the held-out set's loss and accuracy when there is one (the validation
/// split, else the test set). A terminal also gets a live line, rewritten in place five times a
/// second from a timer thread, that follows the steps inside an epoch: a bar, rows/s, and the time
/// left in the epoch and in the run. The training thread only publishes its step count (the
/// trainer's <see cref="Trainer{T}.StepCount"/>, read by the timer), so progress adds nothing to
/// a training step.
/// </summary>
internal sealed class Progress : IDisposable
{
    private const int BarWidth = 20;
    private const int RefreshMilliseconds = 200;
    private readonly TextWriter _out;
    private readonly bool _live;
    private readonly int _epochs;
    private readonly int _every;
    private readonly string? _heldOut;
    private readonly bool _quiet;
    private readonly long _stepsPerEpoch;
    private readonly long _rowsPerEpoch;
    private readonly Func<long> _steps;
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = new();
    private Timer? _timer;
    private int _liveWidth;
    private EpochMetrics _last;
    private bool _finished;

    /// <param name="output">Where to write.</param>
    /// <param name="live">Whether the output is a terminal.</param>
    /// <param name="epochs">Epochs planned.</param>
    /// <param name="every">Plain line interval.</param>
    /// <param name="heldOut">"val" or "test": the set whose metrics the trainer reports each epoch; null for none.</param>
    /// <param name="quiet">No progress at all.</param>
    /// <param name="stepsPerEpoch">Optimiser steps in one epoch.</param>
    /// <param name="rowsPerEpoch">Training rows.</param>
    /// <param name="steps">Reads the steps taken so far (from the timer thread).</param>
    public Progress(TextWriter output, bool live, int epochs, int every, string? heldOut, bool quiet, long stepsPerEpoch, long rowsPerEpoch, Func<long> steps)
    {
        _out = output;
        _live = live && !quiet;
        _epochs = epochs;
        _every = every;
        _heldOut = heldOut;
        _quiet = quiet;
        _stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        _rowsPerEpoch = rowsPerEpoch;
        _steps = steps;
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

    /// <summary>Prints the table header and, on a terminal, starts the live line.</summary>
    public void Start()
    {
        _clock.Start();
        if (_quiet)
        {
            return;
        }

        _out.WriteLine(_heldOut is string h
            ? $"  epoch   train loss  train acc  {(h + " loss").PadLeft(9)}  {(h + " acc").PadLeft(9)}       time"
            : "  epoch   train loss  train acc       time");
        if (_live)
        {
            _timer = new Timer(_ => Refresh(), null, RefreshMilliseconds, RefreshMilliseconds);
        }
    }

    /// <summary>Called by the trainer after each epoch (on the training thread).</summary>
    public void Epoch(EpochMetrics m)
    {
        if (_quiet)
        {
            return;
        }

        lock (_gate)
        {
            _last = m;
            if (m.Epoch == 1 || m.Epoch % _every == 0 || m.Epoch == _epochs)
            {
                ClearLive();
                _out.WriteLine(Line(m, _clock.Elapsed));
                if (_live)
                {
                    _out.Flush();
                }
            }
        }
    }

    /// <summary>Stops the live line and removes it, so that ordinary output can follow.</summary>
    public void Finish()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            _finished = true;
            ClearLive();
        }
    }

    public void Dispose() => Finish();

    internal static string Seconds(TimeSpan t) =>
        t.TotalSeconds < 10 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F2} s") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F1} s");

    /// <summary>A duration for an ETA: 4.2 s, 3m05s, 1h02m.</summary>
    internal static string Eta(double seconds) => seconds switch
    {
        double.NaN or double.PositiveInfinity => "?",
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, seconds):F1} s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}m{(int)(seconds % 60):D2}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}h{(int)(seconds / 60 % 60):D2}m"),
    };

    /// <summary>
    /// The live line for <paramref name="steps"/> optimiser steps after <paramref name="seconds"/>:
    /// the epoch under way, its bar and percentage, rows per second so far, the time left in the
    /// epoch and in the run, and the last completed epoch's numbers.
    /// </summary>
    internal string LiveText(long steps, double seconds, EpochMetrics last)
    {
        long total = _stepsPerEpoch * _epochs;
        steps = Math.Clamp(steps, 0, total);
        long epochIndex = Math.Min(steps / _stepsPerEpoch, _epochs - 1);
        long inEpoch = steps - (epochIndex * _stepsPerEpoch);
        double rowsPerStep = (double)_rowsPerEpoch / _stepsPerEpoch;
        double rate = seconds > 0 ? steps * rowsPerStep / seconds : double.NaN;
        double stepSeconds = steps > 0 ? seconds / steps : double.NaN;
        int filled = (int)(BarWidth * inEpoch / _stepsPerEpoch);
        string lastText = last.Epoch == 0 ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"  loss {last.TrainingLoss:F4}  acc {last.TrainingAccuracy:F4}{(last.HasValidation ? $"  {_heldOut} acc {last.ValidationAccuracy:F4}" : string.Empty)}");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {epochIndex + 1}/{_epochs} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {100.0 * inEpoch / _stepsPerEpoch,3:F0}%  {rate:N0} rows/s  epoch ETA {Eta((_stepsPerEpoch - inEpoch) * stepSeconds)}  run ETA {Eta((total - steps) * stepSeconds)}{lastText}");
    }

    private void Refresh()
    {
        long steps = _steps();
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }

            string text = LiveText(steps, _clock.Elapsed.TotalSeconds, _last);
            _out.Write("\r" + text.PadRight(_liveWidth));
            _liveWidth = text.Length;
            _out.Flush();
        }
    }

    private void ClearLive()
    {
        if (_liveWidth > 0)
        {
            _out.Write("\r" + new string(' ', _liveWidth) + "\r");
            _liveWidth = 0;
        }
    }

    private string Line(EpochMetrics m, TimeSpan elapsed) => _heldOut is not null
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Epoch,7}   {m.TrainingLoss,10:F4}  {m.TrainingAccuracy,9:F4}  {m.ValidationLoss,9:F4}  {m.ValidationAccuracy,9:F4}  {Seconds(elapsed),9}")
        : string.Create(CultureInfo.InvariantCulture, $"{m.Epoch,7}   {m.TrainingLoss,10:F4}  {m.TrainingAccuracy,9:F4}  {Seconds(elapsed),9}");
}
