namespace CamService.Inference.Runtime;

/// <summary>
/// The thread settings a model is served with: the fastest for a run on its own, the most efficient
/// for when runs queue up, and where they came from ("measured", "refined": an earlier start's
/// measurement on this machine with one more pass, or "configured").
/// </summary>
public sealed record ServingThreads(ThreadChoice Fastest, ThreadChoice UnderLoad, string Source, ThreadTuning? Tuning = null)
{
    /// <summary>The settings' own thread count for both (0 is ONNX Runtime's default).</summary>
    public static ServingThreads Configured(ExecutionSettings settings)
    {
        var choice = new ThreadChoice(settings.IntraOpThreads, settings.AllowSpinning);
        return new ServingThreads(choice, choice, "configured");
    }

    public static ServingThreads From(ThreadTuning tuning, string source) =>
        new(tuning.Fastest.Choice, tuning.MostEfficient.Choice, source, tuning);
}
