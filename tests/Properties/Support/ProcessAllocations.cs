namespace Backprop.Properties.Support;

/// <summary>Tests that read the process-wide allocation counter: run alone, after every parallel test collection.</summary>
[CollectionDefinition(nameof(ProcessAllocations), DisableParallelization = true)]
public sealed class ProcessAllocations
{
    /// <summary>
    /// Bytes allocated by <paramref name="repetitions"/> runs of <paramref name="action"/> after warm-up,
    /// on this thread and in the whole process (worker threads included). The process count also
    /// sees the test host's own background threads (a few KB over a long window, e.g. without SIMD),
    /// so it is taken as the least of several short measurements: an allocation per call shows in all
    /// of them, the host's sporadic ones do not. Warm-up lasts at least <paramref name="warmup"/> calls
    /// and one second, so that tiered compilation has promoted everything the action runs (its
    /// background work allocates, and on a slow or loaded machine it otherwise overlaps every window:
    /// a CI run at 128-bit Vector&lt;T&gt; saw 1,512 B in each of seven windows).
    /// </summary>
    public static (long ThisThread, long Process) Measure(Action action, int repetitions, int warmup = 20)
    {
        ArgumentNullException.ThrowIfNull(action);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < warmup || clock.ElapsedMilliseconds < 1000; i++)
        {
            action();
        }

        long thread = long.MaxValue, process = long.MaxValue;
        for (int attempt = 0; attempt < 12; attempt++)
        {
            long t0 = GC.GetAllocatedBytesForCurrentThread(), p0 = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < repetitions; i++)
            {
                action();
            }

            long p1 = GC.GetTotalAllocatedBytes(precise: true), t1 = GC.GetAllocatedBytesForCurrentThread();
            thread = Math.Min(thread, t1 - t0);
            process = Math.Min(process, p1 - p0);
        }

        return (thread, process);
    }
}
