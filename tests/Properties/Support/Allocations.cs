using System.Globalization;
using System.Runtime;

namespace Backprop.Properties.Support;

/// <summary>Measures managed allocation on the current thread.</summary>
public static class Allocations
{
    /// <summary>Bytes allocated on this thread by <paramref name="repetitions"/> runs of <paramref name="action"/>, after warm-up runs (<see cref="MeasureSteady"/>: a single allocating run is measured again).</summary>
    public static long Measure(Action action, int repetitions = 100, int warmup = 3) => MeasureSteady(action, repetitions, warmup, out _);

    /// <summary>
    /// Fails, saying which repetitions allocated and what the JIT and GC did during them, unless
    /// <paramref name="repetitions"/> runs of <paramref name="action"/> after warm-up allocate nothing
    /// on this thread (<see cref="MeasureSteady"/>).
    /// </summary>
    public static void AssertNone(Action action, int repetitions = 100, int warmup = 3)
    {
        long bytes = MeasureSteady(action, repetitions, warmup, out string where);
        Xunit.Assert.True(bytes == 0, $"{bytes} B allocated: {where}");
    }

    /// <summary>
    /// Bytes allocated on this thread by <paramref name="repetitions"/> runs after warm-up, where a
    /// single allocating run is measured again. On a loaded machine CI saw, a few times per hundred
    /// test runs, one call among hundreds of identical calls allocate 3-8 KB on the calling thread with
    /// no method JIT-compiled on the thread and no collection meanwhile (the same kernels allocate 0 B
    /// in every other call and in every run on a quiet machine; the cause, in the runtime, is not
    /// found). An allocation per call, or every few calls, shows in many runs of the first window;
    /// a one-off shows in exactly one. So when exactly one run allocated, a second window of the same
    /// length decides, and the result says so: a leak fails, a one-off does not hide one. A lazily
    /// created object that the code under test makes once, long after warm-up, would pass: the
    /// kernels measured here keep no state between identical calls, and the thread group's slow paths
    /// have their own contended tests.
    /// </summary>
    public static long MeasureSteady(Action action, int repetitions, int warmup, out string where)
    {
        long bytes = Measure(action, repetitions, warmup, out where, out int allocating);
        if (allocating != 1)
        {
            return bytes;
        }

        long again = Measure(action, repetitions, 0, out string whereAgain, out _);
        where = $"one repetition allocated ({where}); a second window of {repetitions}: {whereAgain}";
        return again;
    }

    /// <summary>
    /// As <see cref="Measure(Action, int, int)"/>, and says where: which repetitions allocated (the
    /// first few), how much, and how many methods the JIT compiled on this thread and how many
    /// collections ran during each, so a failure on a busy CI machine can be told apart from a steady leak.
    /// </summary>
    public static long Measure(Action action, int repetitions, int warmup, out string where) => Measure(action, repetitions, warmup, out where, out _);

    private static long Measure(Action action, int repetitions, int warmup, out string where, out int allocatingRepetitions)
    {
        ArgumentNullException.ThrowIfNull(action);
        for (int i = 0; i < warmup; i++)
        {
            action();
        }

        // Every byte counts (the sum over the repetitions); only the report is limited to the first few.
        Span<(int Repetition, long Bytes, long Jitted, int Collections)> first = stackalloc (int, long, long, int)[4];
        int allocating = 0;
        long total = 0;
        for (int i = 0; i < repetitions; i++)
        {
            long j0 = JitInfo.GetCompiledMethodCount(currentThread: true);
            int g0 = GC.CollectionCount(0);
            long b0 = GC.GetAllocatedBytesForCurrentThread();
            action();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - b0;
            if (bytes != 0)
            {
                if (allocating < first.Length)
                {
                    first[allocating] = (i, bytes, JitInfo.GetCompiledMethodCount(currentThread: true) - j0, GC.CollectionCount(0) - g0);
                }

                allocating++;
                total += bytes;
            }
        }

        allocatingRepetitions = allocating;
        where = allocating == 0 ? "no repetition allocated" : Describe(first[..Math.Min(allocating, first.Length)], allocating, repetitions);
        return total;
    }

    private static string Describe(ReadOnlySpan<(int Repetition, long Bytes, long Jitted, int Collections)> first, int allocating, int repetitions)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{allocating} of {repetitions} repetitions allocated; first:");
        foreach ((int repetition, long bytes, long jitted, int collections) in first)
        {
            text.Append(CultureInfo.InvariantCulture, $" #{repetition}: {bytes} B, {jitted} methods JIT-compiled on this thread, {collections} gen-0 GCs;");
        }

        return text.ToString();
    }
}
