namespace Backprop.Properties.Support;

/// <summary>
/// Threads that keep every core busy while a test measures, as another process on a shared machine
/// would: spinning, allocation-free, started before the measurement and stopped by <see cref="Dispose"/>.
/// With more runnable threads than cores, the kernels' threads are descheduled mid-call, their brief
/// spins expire and they block and are woken: the hand-off's slow paths.
/// </summary>
public sealed class CpuLoad : IDisposable
{
    private readonly Thread[] _threads;
    private volatile bool _stop;

    /// <summary>Starts <paramref name="threads"/> spinning threads (default: twice the processor count).</summary>
    public CpuLoad(int threads = 0)
    {
        _threads = new Thread[threads > 0 ? threads : 2 * Environment.ProcessorCount];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Spin) { IsBackground = true, Name = $"test CPU load {i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Stops the spinning threads and waits for them.</summary>
    public void Dispose()
    {
        _stop = true;
        foreach (Thread t in _threads)
        {
            t.Join();
        }
    }

    private void Spin()
    {
        while (!_stop)
        {
            Thread.SpinWait(1000);
        }
    }
}
