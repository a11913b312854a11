namespace CamService.Inference.Runtime;

/// <summary>An intra-op thread count and whether idle pool threads spin.</summary>
public sealed record ThreadChoice(int Threads, bool Spinning)
{
    /// <summary><paramref name="settings"/> with this choice's threads and spinning, in a pool of the session's own.</summary>
    public ExecutionSettings Apply(ExecutionSettings settings) => settings with { IntraOpThreads = Threads, AllowSpinning = Spinning };

    public override string ToString() => $"{Threads} thread{(Threads == 1 ? "" : "s")}{(Spinning ? ", spinning" : "")}";
}
