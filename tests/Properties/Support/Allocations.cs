namespace Backprop.Properties.Support;

/// <summary>Measures managed allocation on the current thread.</summary>
public static class Allocations
{
    /// <summary>Bytes allocated on this thread by <paramref name="repetitions"/> runs of <paramref name="action"/>, after warm-up runs.</summary>
    public static long Measure(Action action, int repetitions = 100, int warmup = 3)
    {
        ArgumentNullException.ThrowIfNull(action);
        for (int i = 0; i < warmup; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < repetitions; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
