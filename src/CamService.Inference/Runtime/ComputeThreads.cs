using System.Runtime.InteropServices;

namespace CamService.Inference.Runtime;

/// <summary>
/// Threads for compute — model runs, ONNX Runtime's intra-op pool, drawing pictures — at a lower
/// CPU priority than the threads that answer requests. When the cores are saturated, Linux then
/// still schedules Kestrel's I/O, the 503 refusals, health checks and the deadline timers at once,
/// and compute takes every cycle they leave: throughput is unchanged, the control plane stays fast.
/// A thread inherits its creator's priority, so ONNX Runtime's pools are created from such a thread.
/// </summary>
public static partial class ComputeThreads
{
    /// <summary>The nice value of compute threads (request threads keep 0). Lowering one's own priority needs no privilege.</summary>
    public const int Nice = 10;

    /// <summary>Runs <paramref name="work"/> on a new thread of compute priority.</summary>
    public static Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() =>
        {
            LowerCurrentThread();
            return work();
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Runs <paramref name="work"/> on a new thread of compute priority.</summary>
    public static Task Run(Action work, CancellationToken cancellationToken = default) =>
        Run(() =>
        {
            work();
            return true;
        }, cancellationToken);

    /// <summary>The calling thread's nice value, or null where threads have none (not Linux).</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Marshal.SetLastPInvokeError(0);
        var nice = getpriority(PrioProcess, gettid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);

    [LibraryImport("libc")]
    private static partial int gettid();
}
