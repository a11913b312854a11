namespace CamService.Inference.Runtime;

/// <summary>
/// The thread settings a model is served with: the fastest for a run on its own, the most efficient
/// for when runs queue up, and where they came from: "guessed" (<see cref="ThreadTuner.Guess"/>, until measured),
/// "remembered" (an earlier start's measurement on this machine, until refined), "measured", "refined" (an earlier
/// measurement with one more pass) or "configured".
/// </summary>
/// <param name="Deferred">The under-load setting still to open, where the model was opened with one session for now (<see cref="OneSession"/>).</param>
public sealed record ServingThreads(ThreadChoice Fastest, ThreadChoice UnderLoad, string Source, ThreadTuning? Tuning = null, ThreadChoice? Deferred = null)
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

    /// <summary>
    /// These settings with one session, the fastest, under load too: what a model loads with so as to be ready sooner,
    /// its under-load session opened after readiness (<see cref="WithDeferred"/>).
    /// </summary>
    public ServingThreads OneSession() => UnderLoad == Fastest ? this : this with { UnderLoad = Fastest, Deferred = UnderLoad };

    /// <summary>These settings with the deferred under-load session, where one was deferred.</summary>
    public ServingThreads WithDeferred() => Deferred is { } underLoad ? this with { UnderLoad = underLoad, Deferred = null } : this;

    public static ServingThreads From(ThreadTuning tuning, string source) =>
        new(tuning.Fastest.Choice, tuning.MostEfficient.Choice, source, tuning);
}
