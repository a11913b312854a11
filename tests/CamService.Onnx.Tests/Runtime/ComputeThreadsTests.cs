using CamService.Inference.Runtime;

namespace CamService.Onnx.Tests.Runtime;

/// <summary>Compute runs on threads of its own at a lower CPU priority (Linux); the caller's priority is left alone.</summary>
public sealed class ComputeThreadsTests
{
    [Fact]
    public async Task Work_RunsAtComputePriority_OnAnotherThread()
    {
        var caller = Environment.CurrentManagedThreadId;
        var callerNice = ComputeThreads.CurrentNice();

        var (thread, nice) = await ComputeThreads.Run(() => (Environment.CurrentManagedThreadId, ComputeThreads.CurrentNice()));

        Assert.NotEqual(caller, thread);
        Assert.Equal(Math.Max(ComputeThreads.Nice, callerNice!.Value), nice);
        Assert.Equal(callerNice, ComputeThreads.CurrentNice());
    }

    [Fact]
    public async Task Failure_ReachesTheCaller()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ComputeThreads.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", failure.Message);
    }
}
