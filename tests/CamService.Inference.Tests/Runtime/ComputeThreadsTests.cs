using CamService.Inference.Runtime;

namespace CamService.Inference.Tests.Runtime;

/// <summary>
/// Compute runs on threads of its own at a lower CPU priority (Linux); the caller's priority is left alone. Each test
/// makes its own threads, so no test counts threads another one is using.
/// </summary>
public sealed class ComputeThreadsTests
{
    [Fact]
    public async Task Work_RunsAtComputePriority_OnAnotherThread()
    {
        using var compute = new ComputeThreads();
        var caller = Environment.CurrentManagedThreadId;
        var callerNice = ThreadNice();

        var (thread, nice) = await compute.Run(() => (Environment.CurrentManagedThreadId, ThreadNice()));

        Assert.NotEqual(caller, thread);
        Assert.Equal(Math.Max(ComputeThreads.Nice, callerNice), nice);
        Assert.Equal(callerNice, ThreadNice());
    }

    /// <summary>The calling thread's nice value as Linux reports it: field 19 of its stat, the 17th after the command name.</summary>
    static int ThreadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Threads_AreKept_ForTheNextWork()
    {
        using var compute = new ComputeThreads();

        // ONNX Runtime keeps per-thread working buffers: a run on a thread it has seen is faster.
        var first = await compute.Run(() => Environment.CurrentManagedThreadId);
        var seen = new HashSet<int> { first };
        for (var i = 0; i < 20; i++)
        {
            seen.Add(await compute.Run(() => Environment.CurrentManagedThreadId));
        }

        // A thread goes idle before its caller hears of the result, so each call finds the thread the last one used.
        Assert.Single(seen);
    }

    [Fact]
    public async Task ManyAtOnce_EachRunsWithoutWaitingForTheOthers()
    {
        using var compute = new ComputeThreads();
        using var gate = new Barrier(6);

        // Six pieces of work that each wait for all six: this ends only if each got a thread of its own.
        var all = Enumerable.Range(0, 6).Select(_ => compute.Run(() => gate.SignalAndWait(TimeSpan.FromSeconds(30)))).ToArray();

        Assert.All(await Task.WhenAll(all), Assert.True);
    }

    [Fact]
    public async Task Cancelled_BeforeItRuns_TheWorkIsNotRun()
    {
        using var compute = new ComputeThreads();
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => compute.Run(() => ran = true, cancel.Token));

        Assert.False(ran);
    }

    [Fact]
    public async Task Failure_ReachesTheCaller()
    {
        using var compute = new ComputeThreads();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => compute.Run<int>(() => throw new InvalidOperationException("boom")));

        Assert.Equal("boom", failure.Message);
    }

    [Fact]
    public async Task Disposed_WorkUnderWayFinishes_ThenEveryThreadEnds_AndNoNewWorkIsTaken()
    {
        var compute = new ComputeThreads();
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        Thread? busy = null;
        var underWay = compute.Run(() =>
        {
            busy = Thread.CurrentThread;
            started.Set();
            release.Wait();
            return 42;
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the work did not start");
        // A second thread, since the first is busy; idle once this returns.
        var idle = await compute.Run(() => Thread.CurrentThread);
        Assert.NotSame(busy, idle);

        compute.Dispose();
        release.Set();

        Assert.Equal(42, await underWay);
        Assert.True(idle.Join(TimeSpan.FromSeconds(30)), "the idle thread is still running");
        Assert.True(busy!.Join(TimeSpan.FromSeconds(30)), "the busy thread is still running");
        Assert.Throws<ObjectDisposedException>(() => { _ = compute.Run(() => 0); });
    }
}
