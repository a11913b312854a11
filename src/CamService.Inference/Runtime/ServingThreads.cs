namespace CamService.Inference.Runtime;

/// <summary>
/// The thread settings a model is served with: the fastest for a run on its own, the most efficient
/// for when runs queue up, and where they came from: "guessed" (<see cref="ThreadTuner.Guess"/>, until measured),
/// "remembered" (an earlier start's measurement on this machine, until refined), "measured", "refined" (an earlier
/// measurement with one more pass) or "configured".
/// </summary>
public sealed record ServingThreads(ThreadChoice Fastest, ThreadChoice UnderLoad, string Source, ThreadTuning? Tuning = null)
{
    /// <summary>The settings' own thread count for both (0 is ONNX Runtime's default).</summary>
    public static ServingThreads Configured(ExecutionSettings settings)
    {
        var choice = new ThreadChoice(settings.IntraOpThreads, settings.AllowSpinning);
        return new ServingThreads(choice, choice, "configured");
    }

    /// <summary>The first guess for <paramref name="cores"/> cores, for a run alone and under load alike.</summary>
    public static ServingThreads Guessed(int cores)
    {
        var choice = ThreadTuner.Guess(cores);
        return new ServingThreads(choice, choice, "guessed");
    }

    /// <summary>Whether these settings need the same sessions as <paramref name="other"/>'s: the same choices, whatever their source.</summary>
    public bool SameChoices(ServingThreads other) => Fastest == other.Fastest && UnderLoad == other.UnderLoad;

    public static ServingThreads From(ThreadTuning tuning, string source) =>
        new(tuning.Fastest.Choice, tuning.MostEfficient.Choice, source, tuning);
}
