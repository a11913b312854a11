using System.Buffers;
using System.Diagnostics.Tracing;

namespace CamService.Fuzzing;

/// <summary>
/// The large arrays (large-object heap sized) the runtime's shared array pools hold between rents, from the pools' own
/// events (System.Buffers.ArrayPoolEventSource): an array is held from its return to its next rent, its trimming or
/// its drop. They are a cache for the next rent, bounded by the runtime (per size: 32 arrays per core and one per
/// thread) and trimmed by it over minutes, so the campaign takes them out before it measures memory, as it empties
/// ImageSharp's pools.
/// </summary>
public sealed class PoolWatch : EventListener
{
    /// <summary>The size from which arrays go to the large-object heap.</summary>
    public const int LargeObjectBytes = 85_000;

    /// <summary>
    /// How long <see cref="Empty"/> holds the pool's threads at most: each takes part in microseconds, and work items held
    /// past half a second would make the pool start more threads, which would themselves be measured.
    /// </summary>
    static readonly TimeSpan ThreadsWait = TimeSpan.FromMilliseconds(200);

    /// <summary>The shared pools of the element types the service and the campaign rent, by the id their events carry.</summary>
    static readonly Dictionary<int, SharedPool> Pools = new[]
    {
        SharedPool.Of<byte>("byte"), SharedPool.Of<char>("char"), SharedPool.Of<float>("float"), SharedPool.Of<int>("int"),
        SharedPool.Of<double>("double"), SharedPool.Of<SixLabors.ImageSharp.PixelFormats.Rgb24>("Rgb24"),
    }.ToDictionary(p => p.Id);

    readonly Lock gate = new();

    /// <summary>Held arrays by their id: the pool, the length, and the thread that returned it (whose own slot may keep it).</summary>
    readonly Dictionary<int, Held> held = [];

    /// <summary>Bytes of the large arrays the pools hold (a pool of another element type counts one byte an element).</summary>
    public long HeldBytes()
    {
        lock (gate)
        {
            return held.Values.Sum(h => (long)h.Length * (Pools.TryGetValue(h.Pool, out var pool) ? pool.ElementBytes : 1));
        }
    }

    /// <summary>
    /// Takes every large array the pools hold out of them, for the collector to free. A thread keeps one array per size
    /// in a slot of its own that only it can rent from, so every thread of the thread pool takes out its own at once
    /// (each waits for the others, so no thread takes two turns), then this thread what is left in the shared stacks.
    /// A thread busy meanwhile keeps its own (<see cref="Describe"/> says what was left).
    /// </summary>
    public void Empty()
    {
        // Only the idle threads: a work item waiting for a busy one would make the pool start another thread.
        ThreadPool.GetMaxThreads(out var most, out _);
        ThreadPool.GetAvailableThreads(out var available, out _);
        var threads = Math.Max(0, ThreadPool.ThreadCount - (most - available));
        var arrived = new CountdownEvent(threads);
        var release = new ManualResetEventSlim();
        for (var i = 0; i < threads; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                TakeOut(Environment.CurrentManagedThreadId);
                arrived.Signal();
                release.Wait(ThreadsWait);
            }, null);
        }
        arrived.Wait(ThreadsWait);
        release.Set();
        TakeOut(thread: null);
    }

    /// <summary>What the pools hold, by pool and length × count: empty once <see cref="Empty"/> ran, unless a thread was busy.</summary>
    public string Describe()
    {
        lock (gate)
        {
            return string.Join("; ", held.Values.GroupBy(h => h.Pool).OrderBy(g => g.Key).Select(g =>
                $"{(Pools.TryGetValue(g.Key, out var pool) ? pool.Name : $"pool {g.Key}")}: " +
                string.Join(" ", g.GroupBy(h => h.Length).OrderBy(s => s.Key).Select(s => $"{s.Key >> 10}K×{s.Count()}"))));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
        {
            EnableEvents(eventSource, EventLevel.Verbose);
        }
    }

    /// <summary>Called on the renting or returning thread itself (an EventSource's listeners are called as it writes).</summary>
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.Payload is not { Count: >= 3 } payload || payload[0] is not int id || payload[1] is not int length || payload[2] is not int pool)
        {
            return;
        }
        lock (gate)
        {
            switch (e.EventName)
            {
                case "BufferReturned" when (long)length * (Pools.TryGetValue(pool, out var known) ? known.ElementBytes : 1) >= LargeObjectBytes:
                    held[id] = new Held(pool, length, Environment.CurrentManagedThreadId);
                    break;
                case "BufferRented" or "BufferTrimmed" or "BufferDropped":
                    held.Remove(id);
                    break;
            }
        }
    }

    /// <summary>Rents, and lets go of, one array per held array returned by <paramref name="thread"/> (all, when null).</summary>
    void TakeOut(int? thread)
    {
        List<Held> mine;
        lock (gate)
        {
            mine = [.. held.Values.Where(h => (thread is null || h.Thread == thread) && Pools.ContainsKey(h.Pool))];
        }
        foreach (var array in mine)
        {
            Pools[array.Pool].Rent(array.Length);
        }
    }

    readonly record struct Held(int Pool, int Length, int Thread);

    sealed record SharedPool(int Id, string Name, int ElementBytes, Action<int> Rent)
    {
        public static SharedPool Of<T>(string name) =>
            new(ArrayPool<T>.Shared.GetHashCode(), name, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), length => ArrayPool<T>.Shared.Rent(length));
    }
}
