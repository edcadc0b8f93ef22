using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Backprop.Kernels;

/// <summary>
/// A caller-owned group of threads for the kernels: the calling thread plus
/// <see cref="DegreeOfParallelism"/> − 1 persistent worker threads, started on the first call that is
/// large enough to split and parked (a brief spin, then a blocking wait) between calls. Pass it to
/// <see cref="Gemm.Multiply{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixSpan{T}, T, T, KernelThreads?)"/>
/// (or a trainer) to split large products across the threads; nothing is process-wide.
/// </summary>
/// <remarks>
/// <para>
/// A call hands each worker a range of the output through preallocated fields, with no delegate,
/// closure or task: once the workers exist and each thread has made one packed product, calls
/// allocate nothing on any thread.
/// </para>
/// <para>
/// One call uses the workers at a time. When several threads share one group, a call that finds
/// the workers busy runs on its own thread instead of queueing or spawning more, so the threads
/// doing kernel work never exceed the calling threads plus <see cref="DegreeOfParallelism"/> − 1.
/// </para>
/// <para>
/// Results do not depend on the degree of parallelism: the work is split along output rows or
/// columns at micro-tile boundaries, never along the depth, so every output element is computed by
/// the same operations in the same order as on one thread (bit-identical).
/// </para>
/// <para>
/// Dispose the group to stop its workers; an undisposed group's workers stop when it is finalised.
/// Workers are background threads and never keep the process alive.
/// </para>
/// </remarks>
public sealed class KernelThreads : IDisposable
{
    private readonly Pool _pool;

    /// <summary>Creates a group for <paramref name="degreeOfParallelism"/> threads (the caller and that many − 1 workers, started lazily).</summary>
    /// <param name="degreeOfParallelism">Threads to use, ≥ 1; 1 runs everything on the calling thread and never starts a worker.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degreeOfParallelism"/> is below 1.</exception>
    public KernelThreads(int degreeOfParallelism)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreeOfParallelism, 1);
        DegreeOfParallelism = degreeOfParallelism;
        _pool = new Pool(degreeOfParallelism - 1);
        _gemmWorkspaces = new object?[2 * degreeOfParallelism];
    }

    /// <summary>
    /// The GEMM packing buffers the group owns: one per participant (0 = the caller's part, then each
    /// worker) and element type, each created by its participant's first packed part (so a worker's
    /// allocation is its own) and kept for the group's life; a caller that passes its own
    /// <see cref="Backprop.Kernels.GemmWorkspace{T}"/> uses that for part 0 instead.
    /// </summary>
    private readonly object?[] _gemmWorkspaces;

    /// <summary>The packing buffer of participant <paramref name="part"/> (only that participant touches it, one call at a time).</summary>
    internal GemmWorkspace<T> GemmWorkspace<T>(int part)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int slot = (2 * part) + (typeof(T) == typeof(double) ? 1 : 0);
        return (GemmWorkspace<T>)(_gemmWorkspaces[slot] ??= new GemmWorkspace<T>());
    }

    /// <summary>Stops the workers if the group was never disposed.</summary>
    ~KernelThreads() => _pool?.Shutdown(join: false); // null when the constructor threw

    /// <summary>The most threads a call uses, the calling thread included.</summary>
    public int DegreeOfParallelism { get; }

    /// <summary>Worker threads currently running (tests).</summary>
    internal int LiveWorkers => _pool.LiveWorkers;

    /// <summary>Bytes the worker threads had allocated, by their own per-thread counters, when each last finished a part or parked (tests).</summary>
    internal long WorkerAllocatedBytes => _pool.WorkerAllocatedBytes;

    /// <summary>Waits of the caller or a worker that had to block (not just spin) so far (tests: proves the slow path ran).</summary>
    internal long BlockedWaits => _pool.BlockedWaits;

    /// <summary>The hand-off state (the state word, the busy flag, each worker's phase and generation) as one line, for a hang report.</summary>
    internal string DescribeState() => _pool.Describe();

    /// <summary>Calls that were split across the workers so far (tests).</summary>
    internal long SplitCalls => Volatile.Read(ref _pool.SplitCalls);

    /// <summary>The worker threads, once started (tests).</summary>
    internal Thread[] WorkerThreads => _pool.WorkerThreads;

    /// <summary>
    /// The group's preallocated job of type <typeparamref name="TJob"/>, created on first use (one per
    /// job type and group). Only while holding the workers (after a successful <see cref="TryEnter"/>),
    /// so no two calls share one job. Jobs are known to the group only as <see cref="KernelJob"/>.
    /// </summary>
    /// <typeparam name="TJob">The job type, e.g. a GEMM or element-wise job for one element type.</typeparam>
    /// <returns>The job.</returns>
    internal TJob PreallocatedJob<TJob>()
        where TJob : KernelJob, new()
    {
        int slot = JobSlot<TJob>.Index;
        KernelJob?[] jobs = _pool.Jobs;
        if (slot >= jobs.Length)
        {
            Array.Resize(ref jobs, Math.Max(slot + 1, 2 * jobs.Length));
            _pool.Jobs = jobs;
        }

        return (TJob)(jobs[slot] ??= new TJob());
    }

    /// <summary>Stops the worker threads and waits for them to exit. Later calls run on the calling thread.</summary>
    public void Dispose()
    {
        _pool.Shutdown(join: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Claims the workers for one call; false when another call holds them, the group is disposed or has no workers.</summary>
    internal bool TryEnter() => _pool.TryEnter();

    /// <summary>
    /// Runs <paramref name="work"/>'s parts 0 … <paramref name="parts"/> − 1: part 0 on the calling
    /// thread, the others on workers; returns when all are done. Only after a successful
    /// <see cref="TryEnter"/>, which this releases.
    /// </summary>
    internal void RunAndExit(KernelJob work, int parts) => _pool.RunAndExit(work, parts);

    /// <summary>The workers' state, kept apart from <see cref="KernelThreads"/> so that the workers do not keep it reachable (its finaliser stops them).</summary>
    private sealed class Pool(int workerCount)
    {
        /// <summary>How long a parked thread spins before blocking: the gap between the GEMMs of a training step is usually shorter.</summary>
        private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

        private const int Closed = 1 << 30;

        private readonly int _workerCount = workerCount;
        private readonly Lock _startLock = new();
        private readonly Signal _done = new();
        private Worker[]? _workers;
        private int _busy;
        private bool _shutdown;
        private KernelJob? _work;
        private int _parts;
        /// <summary>Workers inside the current call, plus <see cref="Closed"/> once the caller has finished its own share.</summary>
        private int _state = Closed;
        private ExceptionDispatchInfo? _failure;

        /// <summary>The preallocated jobs, indexed by <see cref="JobSlot{TJob}.Index"/>.</summary>
        public KernelJob?[] Jobs = new KernelJob?[8];
        public long SplitCalls;

        /// <summary>Bytes the workers had allocated, by their own per-thread counters, when each last finished a part or parked.</summary>
        public long WorkerAllocatedBytes
        {
            get
            {
                long sum = 0;
                foreach (Worker w in _workers ?? [])
                {
                    sum += w.AllocatedBytes;
                }

                return sum;
            }
        }

        public long BlockedWaits
        {
            get
            {
                long sum = _done.BlockedWaits;
                foreach (Worker w in _workers ?? [])
                {
                    sum += w.BlockedWaits;
                }

                return sum;
            }
        }

        public Thread[] WorkerThreads => _workers is { } workers ? Array.ConvertAll(workers, w => w.Thread) : [];

        public int LiveWorkers
        {
            get
            {
                int live = 0;
                foreach (Worker w in _workers ?? [])
                {
                    live += w.Thread.IsAlive ? 1 : 0;
                }

                return live;
            }
        }

        public bool TryEnter()
        {
            if (_workerCount == 0 || Volatile.Read(ref _shutdown) || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                return false;
            }

            if (_workers is null)
            {
                StartWorkers();
            }

            if (Volatile.Read(ref _shutdown))
            {
                Volatile.Write(ref _busy, 0);
                return false;
            }

            return true;
        }

        public void RunAndExit(KernelJob work, int parts)
        {
            Debug.Assert(parts >= 1 && parts <= _workerCount + 1);
            try
            {
                Worker[] workers = _workers!;
                SplitCalls++;
                _work = work;
                _parts = parts;
                _failure = null;
                _done.Reset();

                // Open the call (after the job's fields are set): workers that wake join it.
                Volatile.Write(ref _state, 0);
                for (int i = 0; i < parts - 1; i++)
                {
                    workers[i].Start();
                }

                try
                {
                    work.Execute(0, parts);
                }
                finally
                {
                    CloseAndWait();
                }

                _failure?.Throw();
            }
            finally
            {
                _work = null;
                Volatile.Write(ref _busy, 0);
            }
        }

        public string Describe()
        {
            int state = Volatile.Read(ref _state);
            var text = new System.Text.StringBuilder();
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"busy {Volatile.Read(ref _busy)}, state {((state & Closed) != 0 ? "closed" : "open")} with {state & ~Closed} worker(s) inside, parts {_parts}, split calls {Volatile.Read(ref SplitCalls)}, shutdown {Volatile.Read(ref _shutdown)}, done-signal {_done}");
            foreach (Worker w in _workers ?? [])
            {
                text.Append("; ").Append(w.Describe());
            }

            return text.ToString();
        }

        public void Shutdown(bool join)
        {
            Worker[]? workers;
            lock (_startLock)
            {
                Volatile.Write(ref _shutdown, true);
                workers = _workers;
            }

            if (workers is null)
            {
                return;
            }

            foreach (Worker w in workers)
            {
                w.Stop();
            }

            if (join)
            {
                foreach (Worker w in workers)
                {
                    if (w.Thread != Thread.CurrentThread)
                    {
                        w.Thread.Join();
                    }
                }
            }
        }

        private void StartWorkers()
        {
            lock (_startLock)
            {
                if (_shutdown || _workers is not null)
                {
                    return;
                }

                var workers = new Worker[_workerCount];
                for (int i = 0; i < workers.Length; i++)
                {
                    workers[i] = new Worker(this, i + 1);
                }

                foreach (Worker w in workers)
                {
                    w.Thread.Start();
                }

                _workers = workers;
            }
        }

        /// <summary>
        /// Closes the call to workers that have not joined yet (the chunks are claimed dynamically,
        /// so the caller has done their share: a worker the OS has not scheduled does not hold the
        /// call up) and waits for those that joined to finish.
        /// </summary>
        private void CloseAndWait()
        {
            if ((Interlocked.Or(ref _state, Closed) & ~Closed) == 0)
            {
                return;
            }

            // The state word is the truth; the event only saves spinning. A worker's Set may arrive
            // late (after the caller has seen the count reach zero and started the next call), so
            // a wake-up is reset and the count checked again, never trusted on its own.
            long start = Stopwatch.GetTimestamp();
            while ((Volatile.Read(ref _state) & ~Closed) != 0)
            {
                if (Stopwatch.GetTimestamp() - start > SpinTicks)
                {
                    _done.Wait();
                    _done.Reset();
                    Interlocked.MemoryBarrier();
                    continue;
                }

                Thread.SpinWait(16);
            }
        }

        /// <summary>Runs one part for a worker; <paramref name="allocatedBytes"/> receives the worker's allocation counter before it leaves the call, so a caller that has returned sees every byte of it.</summary>
        private void RunPart(int part, ref long allocatedBytes)
        {
            // Join the open call, if any (a late worker may find it closed, or join a later call:
            // either is fine, the job in the fields is the open call's).
            int state;
            do
            {
                state = Volatile.Read(ref _state);
                if ((state & Closed) != 0)
                {
                    return;
                }
            }
            while (Interlocked.CompareExchange(ref _state, state + 1, state) != state);

            try
            {
                _work!.Execute(part, _parts);
            }
#pragma warning disable CA1031 // The exception is rethrown on the calling thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }

            Volatile.Write(ref allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            if (Interlocked.Decrement(ref _state) == Closed)
            {
                _done.Set();
            }
        }

        /// <summary>One persistent worker: waits for a generation number to change, runs its part, repeats.</summary>
        private sealed class Worker
        {
            private readonly Pool _pool;
            private readonly int _part;
            private readonly Signal _wake = new();
            private int _generation;
            private int _seen;
            private int _phase; // 0 spinning, 1 blocked, 2 running a part, 3 stopped
            private bool _stop;
            private long _allocatedBytes;

            public long BlockedWaits => _wake.BlockedWaits;

            /// <summary>This worker thread's allocated bytes when it last finished a part or parked (tests).</summary>
            public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

            public string Describe() => string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"worker {_part}: {(Volatile.Read(ref _phase) switch { 0 => "spinning", 1 => "blocked", 2 => "running", _ => "stopped" })}, generation {Volatile.Read(ref _generation)} (seen {Volatile.Read(ref _seen)}), thread {Thread.ThreadState}, wake-signal {_wake}");

            public Worker(Pool pool, int part)
            {
                _pool = pool;
                _part = part;
                Thread = new Thread(Loop) { IsBackground = true, Name = $"Backprop kernel worker {part}" };
            }

            public Thread Thread { get; }

            public void Start()
            {
                Interlocked.Increment(ref _generation);
                _wake.Set();
            }

            public void Stop()
            {
                Volatile.Write(ref _stop, true);
                Interlocked.Increment(ref _generation);
                _wake.Set();
            }

            private void Loop()
            {
                int seen = 0;
                while (true)
                {
                    int generation = WaitForChange(seen);
                    seen = generation;
                    Volatile.Write(ref _seen, seen);
                    if (Volatile.Read(ref _stop))
                    {
                        Volatile.Write(ref _phase, 3);
                        return;
                    }

                    Volatile.Write(ref _phase, 2);
                    _pool.RunPart(_part, ref _allocatedBytes);
                }
            }

            private int WaitForChange(int seen)
            {
                Volatile.Write(ref _phase, 0);
                long start = Stopwatch.GetTimestamp();
                var spinner = default(SpinWait);
                while (true)
                {
                    int generation = Volatile.Read(ref _generation);
                    if (generation != seen)
                    {
                        return generation;
                    }

                    if (Stopwatch.GetTimestamp() - start <= SpinTicks)
                    {
                        // Yields every few rounds, so a spinning worker gives its core to any
                        // runnable thread (another process, or the caller on a busy machine).
                        spinner.SpinOnce(sleep1Threshold: -1);
                        continue;
                    }

                    // Reset, then re-check, then block: a Start after the reset sets the event again.
                    _wake.Reset();
                    Interlocked.MemoryBarrier();
                    generation = Volatile.Read(ref _generation);
                    if (generation != seen)
                    {
                        return generation;
                    }

                    Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                    Volatile.Write(ref _phase, 1);
                    _wake.Wait();
                    Volatile.Write(ref _phase, 0);
                    start = Stopwatch.GetTimestamp();
                    spinner.Reset();
                }
            }
        }
    }
}

/// <summary>
/// A wake-up signal (a manual-reset event) for the hand-off. Unlike <see cref="ManualResetEventSlim"/>,
/// whose lock object is created by the first wait that has to block, everything it needs exists from
/// construction: a caller or worker that blocks for the first time under contention, possibly long
/// after warm-up, allocates nothing. Set takes the lock only when a thread is blocked.
/// </summary>
internal sealed class Signal
{
    private readonly object _gate = new();
    private int _set;
    private int _waiters;
    private long _blockedWaits;

    /// <summary>Waits so far that found the signal unset and blocked (tests: proves the slow path ran).</summary>
    public long BlockedWaits => Volatile.Read(ref _blockedWaits);

    /// <summary>Whether the signal is set.</summary>
    public bool IsSet => Volatile.Read(ref _set) != 0;

    /// <summary>Sets the signal and wakes every blocked waiter.</summary>
    public void Set()
    {
        // Store the state, then read the waiter count (full fence between): a waiter increments the
        // count, then reads the state, so at least one of the two sees the other.
        Interlocked.Exchange(ref _set, 1);
        if (Volatile.Read(ref _waiters) != 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Clears the signal.</summary>
    public void Reset() => Volatile.Write(ref _set, 0);

    /// <summary>Blocks until the signal is set (returns at once if it is).</summary>
    public void Wait()
    {
        if (IsSet)
        {
            return;
        }

        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            while (!IsSet)
            {
                _blockedWaits++; // under the lock
                Monitor.Wait(_gate);
            }

            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => IsSet ? "set" : $"unset ({Volatile.Read(ref _waiters)} blocked)";
}

/// <summary>
/// The one type through which <see cref="KernelThreads"/> knows its jobs: a unit of parallel kernel
/// work, preallocated, parameters set in fields before each call, split into parts by index.
/// </summary>
internal abstract class KernelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public abstract void Execute(int part, int parts);
}

/// <summary>A process-wide slot number per job type (assigned once, on first use, thread-safely; never changes).</summary>
/// <typeparam name="TJob">The job type.</typeparam>
internal static class JobSlot<TJob>
    where TJob : KernelJob
{
    /// <summary>The slot of <typeparamref name="TJob"/> in every group's job table.</summary>
    public static readonly int Index = JobSlots.Next();
}

/// <summary>Hands out job slot numbers.</summary>
internal static class JobSlots
{
    private static int s_count;

    /// <summary>A new slot number.</summary>
    public static int Next() => Interlocked.Increment(ref s_count) - 1;
}
