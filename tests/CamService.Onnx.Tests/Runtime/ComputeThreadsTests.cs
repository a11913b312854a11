using CamService.Inference.Runtime;

namespace CamService.Onnx.Tests.Runtime;

/// <summary>Compute runs on threads of its own at a lower CPU priority (Linux); the caller's priority is left alone.</summary>
[Collection(Collection)]
public sealed class ComputeThreadsTests
{
    /// <summary>
    /// The tests that use the process's one pool of compute threads, run one class at a time: another class's work
    /// taking the pool's threads meanwhile moved a test's calls made one after another over 13 threads in CI.
    /// </summary>
    public const string Collection = "compute threads";

    [Fact]
    public async Task Work_RunsAtComputePriority_OnAnotherThread()
    {
        var caller = Environment.CurrentManagedThreadId;
        var callerNice = ThreadNice();

        var (thread, nice) = await ComputeThreads.Run(() => (Environment.CurrentManagedThreadId, ThreadNice()));

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
        // ONNX Runtime keeps per-thread working buffers: a run on a thread it has seen is faster.
        var first = await ComputeThreads.Run(() => Environment.CurrentManagedThreadId);
        var seen = new HashSet<int> { first };
        for (var i = 0; i < 20; i++)
        {
            seen.Add(await ComputeThreads.Run(() => Environment.CurrentManagedThreadId));
        }

        // Each call finds the thread the last one went idle on (a second one at most, where work of a test before
        // this one was still ending on it); before threads went idle ahead of completing, a new one now and then.
        Assert.InRange(seen.Count, 1, 2);
    }

    [Fact]
    public async Task ManyAtOnce_EachRunsWithoutWaitingForTheOthers()
    {
        using var gate = new Barrier(6);

        // Six pieces of work that each wait for all six: this ends only if each got a thread of its own.
        var all = Enumerable.Range(0, 6).Select(_ => ComputeThreads.Run(() => gate.SignalAndWait(TimeSpan.FromSeconds(30)))).ToArray();

        Assert.All(await Task.WhenAll(all), Assert.True);
    }

    [Fact]
    public async Task Cancelled_BeforeItRuns_TheWorkIsNotRun()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ComputeThreads.Run(() => ran = true, cancel.Token));

        Assert.False(ran);
    }

    [Fact]
    public async Task Failure_ReachesTheCaller()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ComputeThreads.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", failure.Message);
    }
}
