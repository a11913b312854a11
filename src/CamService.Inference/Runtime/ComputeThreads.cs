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
/// The threads live on: a run on a thread that ONNX Runtime has not seen before pays for its
/// per-thread working buffers again (measured: densenet121 took 80 ms a request on fresh threads
/// against 48 ms on a warm one). A thread is added only when every one is busy, so there are as many
/// as the most work ever run at once — which <see cref="CoreScheduler"/> keeps to the cores.
/// </para>
/// <para>
/// Results are handed back through one thread of normal priority: Linux threads inherit the nice value
/// of the thread that creates them, and completing a task on a compute thread can make the runtime
/// create a thread-pool thread there, which would then serve requests at compute priority.
/// </para>
/// </summary>
public static partial class ComputeThreads
{
    /// <summary>The nice value of compute threads (request threads keep 0). Lowering one's own priority needs no privilege.</summary>
    public const int Nice = 10;

    static readonly BlockingCollection<Action> Completions = StartCompletions();
    static readonly Lock Gate = new();
    static readonly Queue<Func<Action>> Work = new();
    /// <summary>Idle threads, the most recently busy on top: it is woken first, with its caches and ONNX Runtime's buffers still warm.</summary>
    static readonly Stack<SemaphoreSlim> Idle = new();

    /// <summary>Runs <paramref name="work"/> on a compute thread.</summary>
    public static Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default)
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
    public static Task Run(Action work, CancellationToken cancellationToken = default) =>
        Run(() =>
        {
            work();
            return true;
        }, cancellationToken);

    static void Enqueue(Func<Action> work)
    {
        lock (Gate)
        {
            Work.Enqueue(work);
            // The thread that went idle last takes it; with none idle, a new thread does.
            if (Idle.TryPop(out var wake))
            {
                wake.Release();
                return;
            }
        }
        new Thread(Loop) { IsBackground = true, Name = "compute" }.Start();
    }

    /// <summary>The normal-priority thread that completes the callers' tasks; created by whoever first uses compute threads, which is not one.</summary>
    static BlockingCollection<Action> StartCompletions()
    {
        var completions = new BlockingCollection<Action>();
        new Thread(() =>
        {
            foreach (var complete in completions.GetConsumingEnumerable())
            {
                complete();
            }
        }) { IsBackground = true, Name = "compute completions" }.Start();
        return completions;
    }

    static void Loop()
    {
        LowerCurrentThread();
        using var wake = new SemaphoreSlim(0);
        while (true)
        {
            var work = NextOrIdle(wake);
            while (work is not null)
            {
                var complete = work();
                // Idle again (or on to queued work) before the caller hears of the result: a caller that asks again at
                // once then finds this thread, warm, instead of starting a new one (200 calls made one after another
                // used 2 threads when the caller heard first, 1 now).
                work = NextOrIdle(wake);
                Completions.Add(complete);
            }
            // Woken for work that another thread may have taken meanwhile: then it goes idle again.
            wake.Wait();
        }
    }

    /// <summary>The next queued work, or none, the thread then on the idle stack to be woken with <paramref name="wake"/>.</summary>
    static Func<Action>? NextOrIdle(SemaphoreSlim wake)
    {
        lock (Gate)
        {
            if (Work.TryDequeue(out var work))
            {
                return work;
            }
            Idle.Push(wake);
            return null;
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
