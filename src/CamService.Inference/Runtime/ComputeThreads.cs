using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace CamService.Inference.Runtime;

/// <summary>
/// Threads for compute — model runs, ONNX Runtime's intra-op pools, decoding and drawing — at a lower
/// CPU priority than the threads that answer requests. When the cores are saturated, Linux then
/// still schedules Kestrel's I/O, the 503 refusals, health checks and the deadline timers at once,
/// and compute takes every cycle they leave: throughput is unchanged, the control plane stays fast.
/// A thread inherits its creator's priority, so ONNX Runtime's pools are created from such a thread.
/// <para>
/// The threads live on: ONNX Runtime keeps working buffers per thread, so a run on a thread it has seen
/// before skips allocating them again. A thread is added only when every one is busy, so there are as many
/// as the most work ever run at once — which <see cref="CoreScheduler"/>, their owner, keeps to the cores.
/// </para>
/// <para>
/// Results are handed back through one thread of normal priority: Linux threads inherit the nice value
/// of the thread that creates them, and completing a task on a compute thread can make the runtime
/// create a thread-pool thread there, which would then serve requests at compute priority.
/// </para>
/// </summary>
public sealed partial class ComputeThreads : IDisposable
{
    /// <summary>The nice value of compute threads (request threads keep 0). Lowering one's own priority needs no privilege.</summary>
    public const int Nice = 10;

    readonly BlockingCollection<Action> completions = new();
    readonly Lock gate = new();
    readonly Queue<Func<Action>> work = new();
    /// <summary>Idle threads, the most recently busy on top: it is woken first, with its caches and ONNX Runtime's buffers still warm.</summary>
    readonly Stack<SemaphoreSlim> idle = new();
    int threads;
    bool disposed;

    /// <summary>
    /// Starts the thread that completes the callers' tasks. It inherits the constructing thread's priority, so construct
    /// this on a thread of normal priority, never on a compute thread.
    /// </summary>
    public ComputeThreads()
    {
        new Thread(() =>
        {
            foreach (var complete in completions.GetConsumingEnumerable())
            {
                complete();
            }
            completions.Dispose();
        }) { IsBackground = true, Name = "compute completions" }.Start();
    }

    /// <summary>Runs <paramref name="work"/> on a compute thread.</summary>
    /// <exception cref="ObjectDisposedException">The threads were disposed.</exception>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The work returns how to complete the caller's task, which the thread hands on once it is idle again.
        Enqueue(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return () => done.TrySetCanceled(cancellationToken);
            }
            try
            {
                var result = work();
                return () => done.TrySetResult(result);
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cancellationToken && cancellationToken.IsCancellationRequested)
            {
                return () => done.TrySetCanceled(cancellationToken);
            }
            catch (Exception e)
            {
                return () => done.TrySetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on a compute thread.</summary>
    /// <exception cref="ObjectDisposedException">The threads were disposed.</exception>
    public Task Run(Action work, CancellationToken cancellationToken = default) =>
        Run(() =>
        {
            work();
            return true;
        }, cancellationToken);

    /// <summary>
    /// Takes no more work; the work already queued still runs and completes its callers' tasks, then every thread ends.
    /// </summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            // Idle threads wake to find the queue empty and end; busy ones end once the queue is.
            while (idle.TryPop(out var wake))
            {
                wake.Release();
            }
            if (threads == 0)
            {
                completions.CompleteAdding();
            }
        }
    }

    void Enqueue(Func<Action> next)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            work.Enqueue(next);
            // The thread that went idle last takes it; with none idle, a new thread does.
            if (idle.TryPop(out var wake))
            {
                wake.Release();
                return;
            }
            threads++;
        }
        new Thread(Loop) { IsBackground = true, Name = "compute" }.Start();
    }

    void Loop()
    {
        LowerCurrentThread();
        using var wake = new SemaphoreSlim(0);
        while (true)
        {
            var (next, end) = NextOrIdle(wake);
            while (next is not null)
            {
                var complete = next();
                // Idle again (or on to queued work) before the caller hears of the result: a caller that asks again at
                // once then finds this thread, warm, instead of starting a new one.
                (next, end) = NextOrIdle(wake);
                completions.Add(complete);
            }
            if (end)
            {
                Ended();
                return;
            }
            // Woken for work that another thread may have taken meanwhile: then it goes idle again.
            wake.Wait();
        }
    }

    /// <summary>
    /// The next queued work; or none, the thread then on the idle stack to be woken with <paramref name="wake"/>, or,
    /// once disposed, to end.
    /// </summary>
    (Func<Action>? Work, bool End) NextOrIdle(SemaphoreSlim wake)
    {
        lock (gate)
        {
            if (work.TryDequeue(out var next))
            {
                return (next, false);
            }
            if (disposed)
            {
                return (null, true);
            }
            idle.Push(wake);
            return (null, false);
        }
    }

    /// <summary>A thread ends; the last one, after its final completion was added, lets the completing thread end too.</summary>
    void Ended()
    {
        lock (gate)
        {
            if (--threads == 0)
            {
                completions.CompleteAdding();
            }
        }
    }

    /// <summary>Lowers the calling thread to compute priority (Linux; elsewhere priorities stay as they are).</summary>
    static void LowerCurrentThread()
    {
        if (OperatingSystem.IsLinux())
        {
            // Per thread on Linux: "who" is a thread id. A failure only costs the priority, never the work.
            _ = setpriority(PrioProcess, gettid(), Nice);
        }
    }

    const int PrioProcess = 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
