using CamService.Inference.Runtime;

namespace CamService.Inference.Tests.Runtime;

/// <summary>
/// The cores are handed out so that the threads busy at once never outnumber them: a run alone gets
/// its fastest thread count, a run that others wait behind its cheapest, first come first served.
/// </summary>
public sealed class CoreSchedulerTests
{
    [Fact]
    public async Task Alone_ARunGetsItsPreferredCores()
    {
        using var scheduler = new CoreScheduler(4);

        using var lease = await scheduler.AcquireAsync(preferred: 3, underLoad: 1);

        Assert.Equal(3, lease.Cores);
        Assert.False(lease.UnderLoad);
        Assert.Equal(1, scheduler.Free);
    }

    [Fact]
    public async Task NotEnoughFree_ARunSettlesForItsUnderLoadCores_AtOnce()
    {
        using var scheduler = new CoreScheduler(2);
        using var first = await scheduler.AcquireAsync(1, 1);

        using var second = await scheduler.AcquireAsync(preferred: 2, underLoad: 1);

        Assert.Equal(1, second.Cores);
        Assert.True(second.UnderLoad);
        Assert.Equal(0, scheduler.Free);
    }

    [Fact]
    public async Task AnotherJobUnderWay_ARunSettlesForItsUnderLoadCores_EvenWithCoresFree()
    {
        using var scheduler = new CoreScheduler(2);
        using (scheduler.BeginJob())
        {
            using var alone = await scheduler.AcquireAsync(preferred: 2, underLoad: 1);
            Assert.Equal((2, false), (alone.Cores, alone.UnderLoad));
        }

        using var first = scheduler.BeginJob();
        using var second = scheduler.BeginJob();
        using var lease = await scheduler.AcquireAsync(preferred: 2, underLoad: 1);

        Assert.Equal(2, scheduler.Jobs);
        Assert.Equal((1, true), (lease.Cores, lease.UnderLoad));
    }

    [Fact]
    public async Task Waiters_AreServedInOrder_WithTheirUnderLoadCores()
    {
        using var scheduler = new CoreScheduler(2);
        var first = await scheduler.AcquireAsync(2, 1);
        var big = scheduler.AcquireAsync(preferred: 2, underLoad: 2).AsTask();
        var small = scheduler.AcquireAsync(preferred: 2, underLoad: 1).AsTask();
        Assert.Equal(2, scheduler.Waiting);

        first.Dispose();
        using var bigLease = await big;
        Assert.Equal(2, bigLease.Cores);
        Assert.True(bigLease.UnderLoad);
        // The single-core waiter does not overtake the two-core one, nor run beside it.
        Assert.False(small.IsCompleted);

        bigLease.Dispose();
        using var smallLease = await small;
        Assert.Equal(1, smallLease.Cores);
        Assert.Equal(1, scheduler.Free);
    }

    [Fact]
    public async Task Cancelled_AWaiterLeavesTheQueue_AndThoseBehindItMoveUp()
    {
        using var scheduler = new CoreScheduler(2);
        var holder = await scheduler.AcquireAsync(1, 1);
        using var cancel = new CancellationTokenSource();
        var blocked = scheduler.AcquireAsync(2, 2, cancel.Token).AsTask();
        var behind = scheduler.AcquireAsync(1, 1).AsTask();
        Assert.False(behind.IsCompleted);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        using var lease = await behind;
        Assert.Equal(1, lease.Cores);
        holder.Dispose();
        Assert.Equal(1, scheduler.Free);
    }

    [Fact]
    public async Task PreferenceAndUnderLoad_AreCappedAtTheCores_AndZeroMeansAll()
    {
        using var scheduler = new CoreScheduler(2);

        using (var lease = await scheduler.AcquireAsync(8, 8))
        {
            Assert.Equal(2, lease.Cores);
        }
        using (var lease = await scheduler.AcquireAsync(0, 0))
        {
            Assert.Equal(2, lease.Cores);
        }
        Assert.Equal(2, scheduler.Free);
    }

    [Fact]
    public async Task ManyAtOnce_NeverMoreCoresBusyThanThereAre_AndAllAreReturned()
    {
        const int cores = 3;
        using var scheduler = new CoreScheduler(cores);
        var busy = 0;
        var peak = 0;
        var random = new Random(7);
        var work = Enumerable.Range(0, 200).Select(i => (Preferred: random.Next(0, 5), UnderLoad: random.Next(1, 3))).ToList();

        await Task.WhenAll(work.Select(async w =>
        {
            await Task.Yield();
            var (cores1, _) = await scheduler.RunAsync(w.Preferred, w.UnderLoad, lease =>
            {
                var now = Interlocked.Add(ref busy, lease.Cores);
                InterlockedMax(ref peak, now);
                Thread.SpinWait(2000);
                Interlocked.Add(ref busy, -lease.Cores);
                return (lease.Cores, 0);
            });
            Assert.InRange(cores1, 1, cores);
        }));

        Assert.InRange(peak, 1, cores);
        Assert.Equal(cores, scheduler.Free);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task Disposed_TheComputeThreadsItOwnsEnd()
    {
        var scheduler = new CoreScheduler(2);
        var thread = await scheduler.RunAsync(() => Thread.CurrentThread);

        scheduler.Dispose();

        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the scheduler's compute thread is still running");
        Assert.Throws<ObjectDisposedException>(() => { _ = scheduler.Threads.Run(() => 0); });
    }

    static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
