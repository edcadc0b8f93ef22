using System.Globalization;
using System.Runtime;

namespace Backprop.Properties.Support;

/// <summary>Measures managed allocation on the current thread.</summary>
public static class Allocations
{
    /// <summary>Bytes allocated on this thread by <paramref name="repetitions"/> runs of <paramref name="action"/>, after warm-up runs.</summary>
    public static long Measure(Action action, int repetitions = 100, int warmup = 3) => Measure(action, repetitions, warmup, out _);

    /// <summary>Fails, saying which repetitions allocated and what the JIT and GC did during them, unless <paramref name="repetitions"/> runs of <paramref name="action"/> after warm-up allocate nothing on this thread.</summary>
    public static void AssertNone(Action action, int repetitions = 100, int warmup = 3)
    {
        long bytes = Measure(action, repetitions, warmup, out string where);
        Xunit.Assert.True(bytes == 0, $"{bytes} B allocated: {where}");
    }

    /// <summary>
    /// As <see cref="Measure(Action, int, int)"/>, and says where: which repetitions allocated (the
    /// first few), how much, and how many methods the JIT compiled on this thread and how many
    /// collections ran during each, so a failure on a busy CI machine can be told apart from a steady leak.
    /// </summary>
    public static long Measure(Action action, int repetitions, int warmup, out string where)
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
