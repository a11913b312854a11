namespace CamService.Inference.Runtime;

/// <summary>
/// Hands out the machine's cores to compute work so that the threads busy at any moment never
/// outnumber them. A model run asks for its fastest thread count and, when other work is waiting or
/// other jobs (requests) are under way, settles for its most efficient one: alone, a request gets the
/// lowest latency; under load, the cores do the most work per second, since a run's extra threads
/// shorten it by less than they cost in core time. Waiters are served first come, first served, so a
/// run that needs several cores is not starved by a stream of single-core work. The scheduler owns the
/// <see cref="ComputeThreads"/> its work runs on and ends them when disposed.
/// </summary>
public sealed class CoreScheduler : IDisposable
{
    readonly Lock gate = new();
    readonly LinkedList<Waiter> waiting = new();
    int free;
    int jobs;

    public CoreScheduler(int cores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        Cores = cores;
        free = cores;
    }

    public int Cores { get; }

    /// <summary>
    /// The compute threads this scheduler's work runs on; work that runs outside the count of cores, such as loading
    /// models at start-up, runs on them directly. Made with the scheduler, so construct it on a thread of normal
    /// priority (see <see cref="ComputeThreads"/>'s constructor).
    /// </summary>
    public ComputeThreads Threads { get; } = new();

    /// <summary>Cores not handed out right now.</summary>
    public int Free
    {
        get
        {
            lock (gate)
            {
                return free;
            }
        }
    }

    /// <summary>Jobs under way (see <see cref="BeginJob"/>).</summary>
    public int Jobs => Volatile.Read(ref jobs);

    /// <summary>
    /// Marks a job — a request's decoding, model runs and drawing — as under way until disposed. While
    /// another job is under way too, runs get their under-load cores even when more are free: the other
    /// job will want a core before a run on all of them would end.
    /// </summary>
    public IDisposable BeginJob()
    {
        Interlocked.Increment(ref jobs);
        return new Job(this);
    }

    /// <summary>Requests waiting for cores right now.</summary>
    public int Waiting
    {
        get
        {
            lock (gate)
            {
                return waiting.Count;
            }
        }
    }

    /// <summary>
    /// <paramref name="preferred"/> cores when they are free and nobody waits; otherwise waits, in
    /// turn, for <paramref name="underLoad"/> cores. Both are capped at <see cref="Cores"/>, and 0 (a
    /// pool of ONNX Runtime's default size) means all of them. Dispose the lease to give them back.
    /// </summary>
    public ValueTask<CoreLease> AcquireAsync(int preferred, int underLoad, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(preferred);
        ArgumentOutOfRangeException.ThrowIfNegative(underLoad);
        cancellationToken.ThrowIfCancellationRequested();
        int Capped(int cores) => cores == 0 ? Cores : Math.Min(cores, Cores);
        (preferred, underLoad) = (Capped(preferred), Capped(underLoad));
        Waiter waiter;
        lock (gate)
        {
            if (waiting.Count == 0 && free >= preferred && Volatile.Read(ref jobs) <= 1)
            {
                free -= preferred;
                return ValueTask.FromResult(new CoreLease(this, preferred, underLoad: false));
            }
            if (waiting.Count == 0 && free >= underLoad)
            {
                free -= underLoad;
                return ValueTask.FromResult(new CoreLease(this, underLoad, underLoad: true));
            }
            waiter = new Waiter(underLoad);
            waiter.Node = waiting.AddLast(waiter);
        }
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Cancellation = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
        }
        return new ValueTask<CoreLease>(waiter.Granted.Task);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a compute thread (<see cref="Threads"/>) once it holds its
    /// cores (see <see cref="AcquireAsync"/>); the lease tells it how many threads it may use.
    /// </summary>
    public async Task<T> RunAsync<T>(int preferred, int underLoad, Func<CoreLease, T> work, CancellationToken cancellationToken = default)
    {
        using var lease = await AcquireAsync(preferred, underLoad, cancellationToken);
        return await Threads.Run(() => work(lease), cancellationToken);
    }

    /// <summary>Runs single-threaded <paramref name="work"/>, such as decoding or drawing a picture, on a compute thread once a core is free.</summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default) => RunAsync(1, 1, _ => work(), cancellationToken);

    /// <summary>Ends the compute threads once the work already queued on them has run (<see cref="ComputeThreads.Dispose"/>).</summary>
    public void Dispose() => Threads.Dispose();

    void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (waiter.Node?.List is null)
            {
                return;
            }
            waiting.Remove(waiter.Node);
            // The head may have been blocking smaller requests behind it.
            GrantWaiting();
        }
        waiter.Granted.TrySetCanceled(cancellationToken);
    }

    internal void Release(int cores)
    {
        lock (gate)
        {
            free += cores;
            GrantWaiting();
        }
    }

    /// <summary>Grants waiters in order while the first one fits (caller holds the lock).</summary>
    void GrantWaiting()
    {
        while (waiting.First is { } first && free >= first.Value.Cores)
        {
            var waiter = first.Value;
            waiting.RemoveFirst();
            free -= waiter.Cores;
            // Unregister, not Dispose: Dispose waits for a running callback, which waits for this lock.
            waiter.Cancellation.Unregister();
            // Continuations run elsewhere (RunContinuationsAsynchronously), never under this lock.
            waiter.Granted.TrySetResult(new CoreLease(this, waiter.Cores, underLoad: true));
        }
    }

    sealed class Job(CoreScheduler owner) : IDisposable
    {
        int ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref ended, 1) == 0)
            {
                Interlocked.Decrement(ref owner.jobs);
            }
        }
    }

    sealed class Waiter(int cores)
    {
        public int Cores { get; } = cores;

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Cancellation { get; set; }

        public TaskCompletionSource<CoreLease> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
