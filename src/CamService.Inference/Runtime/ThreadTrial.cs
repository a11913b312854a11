using System.Text.Json.Serialization;

namespace CamService.Inference.Runtime;

/// <summary>One measured configuration: the median time of a batch-1 run.</summary>
public sealed record ThreadTrial(int Threads, bool Spinning, double MedianMs)
{
    [JsonIgnore]
    public ThreadChoice Choice => new(Threads, Spinning);

    /// <summary>Core-milliseconds per run: what one run costs a machine that has other work for the remaining cores.</summary>
    public double CoreMs => Threads * MedianMs;
}
