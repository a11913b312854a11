namespace CamService.Traffic;

/// <summary>
/// How long an explanation holds its slot, as <see cref="ExplainAdmission"/> predicts queue waits from it. A
/// service registered in its place (a test's fixed estimate) makes the predictions deterministic.
/// </summary>
public interface IServiceTime
{
    /// <summary>The current estimate, in seconds; always positive.</summary>
    double Seconds { get; }

    /// <summary>Takes in one slot's measured holding time. Called under the admission's lock, one at a time.</summary>
    void Record(TimeSpan held);
}

/// <summary>
/// An exponentially weighted moving average of slot holding times: each new time weighs
/// <see cref="Weight"/>, so the estimate follows a change of load or of models within about ten requests,
/// while one slow request (a 12 MP photo, Score-CAM) moves it only a fifth of the way.
/// </summary>
public sealed class MovingServiceTime : IServiceTime
{
    /// <summary>The weight of the newest time.</summary>
    public const double Weight = 0.2;

    /// <summary>
    /// The estimate before the first explanation has finished: about what one slot of a 2-core pod holds for
    /// the three default models on a 224 px photo, two at once. A first burst is queued on it; a wrong guess
    /// only scales that burst's waits, which the budget keeps far within the request's deadline, and the
    /// first finished requests replace it.
    /// </summary>
    public const double SeedSeconds = 0.2;

    /// <summary>Holding times below this count as this, so that a request that failed at once cannot make the estimate zero.</summary>
    const double FloorSeconds = 0.001;

    double seconds = SeedSeconds;

    public double Seconds => Volatile.Read(ref seconds);

    public void Record(TimeSpan held)
    {
        var sample = Math.Max(held.TotalSeconds, FloorSeconds);
        Volatile.Write(ref seconds, seconds + Weight * (sample - seconds));
    }
}
