using Backprop.Kernels;

namespace Backprop.Properties.Support;

/// <summary>
/// Tests that measure the allocations of a whole thread group (the calling thread and the group's
/// workers) in a quiet and a contended phase: they run alone, after the parallel collections, so the
/// contended phase's spinning threads do not slow every other test.
/// </summary>
[CollectionDefinition(nameof(ProcessAllocations), DisableParallelization = true)]
public sealed class ProcessAllocations
{
    /// <summary>One phase's measurement.</summary>
    /// <param name="Caller">Bytes allocated on the calling thread over every window of the phase.</param>
    /// <param name="Workers">Bytes allocated on the group's worker threads (their own per-thread counters).</param>
    /// <param name="Process">Bytes allocated process-wide (for information only: it includes the test host's own threads).</param>
    /// <param name="BlockedWaits">Times the caller or a worker had to block, not just spin (the hand-off's slow path).</param>
    /// <param name="Calls">Calls of the action measured.</param>
    public readonly record struct Phase(long Caller, long Workers, long Process, long BlockedWaits, int Calls)
    {
        /// <summary>The numbers a failing assertion should show.</summary>
        public override string ToString() => $"caller {Caller} B, workers {Workers} B, process {Process} B (includes the test host), {BlockedWaits} blocked waits, {Calls} calls";
    }

    /// <summary>
    /// Measures <paramref name="action"/> after warm-up (at least <paramref name="warmup"/> calls and one
    /// second, so tiered compilation has promoted what it runs), first on a quiet machine, then with
    /// <see cref="CpuLoad"/> spinning on every core and no further warm-up, so that a first block,
    /// a first wake-up or anything else created lazily on a slow path lands inside the window. The
    /// contended phase runs <paramref name="repetitions"/> calls at a time until the group has blocked
    /// at least once more (bounded by ten seconds), so the slow path is known to have run.
    /// Every byte on the caller or the workers counts: nothing is taken as a minimum.
    /// </summary>
    public static (Phase Quiet, Phase Contended) Measure(KernelThreads? group, Action action, int repetitions, int warmup = 20)
    {
        ArgumentNullException.ThrowIfNull(action);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < warmup || clock.ElapsedMilliseconds < 1000; i++)
        {
            action();
        }

        Phase quiet = Window(group, action, repetitions, untilBlocked: false);
        Phase contended;
        using (new CpuLoad())
        {
            contended = Window(group, action, repetitions, untilBlocked: group is not null);
        }

        return (quiet, contended);
    }

    private static Phase Window(KernelThreads? group, Action action, int repetitions, bool untilBlocked)
    {
        long blocked0 = group?.BlockedWaits ?? 0, workers0 = group?.WorkerAllocatedBytes ?? 0;
        long t0 = GC.GetAllocatedBytesForCurrentThread(), p0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = System.Diagnostics.Stopwatch.GetTimestamp(); // not a Stopwatch object: the window must allocate nothing of its own
        int calls = 0;
        do
        {
            for (int i = 0; i < repetitions; i++)
            {
                action();
            }

            calls += repetitions;
        }
        while (untilBlocked && group!.BlockedWaits == blocked0 && System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds < 10);

        long p1 = GC.GetTotalAllocatedBytes(precise: true), t1 = GC.GetAllocatedBytesForCurrentThread();
        long workers = (group?.WorkerAllocatedBytes ?? 0) - workers0;
        return new Phase(t1 - t0, workers, p1 - p0, (group?.BlockedWaits ?? 0) - blocked0, calls);
    }
}
