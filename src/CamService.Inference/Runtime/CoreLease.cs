namespace CamService.Inference.Runtime;

/// <summary>Cores held until disposed.</summary>
public sealed class CoreLease : IDisposable
{
    CoreScheduler? owner;

    internal CoreLease(CoreScheduler owner, int cores, bool underLoad)
    {
        this.owner = owner;
        Cores = cores;
        UnderLoad = underLoad;
    }

    /// <summary>How many cores this lease holds: as many threads as the work may use.</summary>
    public int Cores { get; }

    /// <summary>Whether these are the cores for under load: others were waiting, or the preferred number was not free.</summary>
    public bool UnderLoad { get; }

    public void Dispose() => Interlocked.Exchange(ref owner, null)?.Release(Cores);
}
