using CamService.Inference.Runtime;

namespace CamService.Models;

/// <summary>
/// A loaded model and how many hold it: the entry that serves it holds it once, and every request that runs on
/// it holds it while it runs. A replaced or removed model is let go by its entry, and its sessions are disposed
/// by whoever lets go last, so a request never finds them disposed under it.
/// </summary>
public sealed class ServedModel(CamReadyModel model)
{
    int holders = 1;

    public CamReadyModel Model { get; } = model;

    /// <summary>Whether the sessions are disposed (every holder let go).</summary>
    public bool Disposed => Volatile.Read(ref holders) == 0;

    /// <summary>Takes one more hold, unless every holder has let go already (then the model is gone).</summary>
    internal bool TryHold()
    {
        while (true)
        {
            var count = Volatile.Read(ref holders);
            if (count == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref holders, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    internal void LetGo()
    {
        if (Interlocked.Decrement(ref holders) == 0)
        {
            Model.Dispose();
        }
    }
}

/// <summary>A request's hold on one model, for as long as it runs on it.</summary>
public sealed class ModelLease : IDisposable
{
    readonly ServedModel served;
    int released;

    internal ModelLease(ServedModel served) => this.served = served;

    public CamReadyModel Model => served.Model;

    internal ServedModel Served => served;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            served.LetGo();
        }
    }
}

/// <summary>The leases of one request, let go together when it is answered.</summary>
public sealed class ModelLeases : IDisposable
{
    readonly List<ModelLease> leases = [];

    public CamReadyModel Add(ModelLease lease)
    {
        lock (leases)
        {
            leases.Add(lease);
        }
        return lease.Model;
    }

    public void Dispose()
    {
        lock (leases)
        {
            leases.ForEach(l => l.Dispose());
            leases.Clear();
        }
    }
}
