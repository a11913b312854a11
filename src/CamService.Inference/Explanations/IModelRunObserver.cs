namespace CamService.Inference.Explanations;

/// <summary>What a host counts and logs of each model's run in <see cref="ImageExplainer"/>.</summary>
public interface IModelRunObserver
{
    /// <summary>The model ran, under load or not, for <paramref name="inferenceMs"/>.</summary>
    void Ran(string model, bool underLoad, double inferenceMs);

    /// <summary>The model's run was stopped, <paramref name="elapsedMs"/> after it started, because its caller cancelled.</summary>
    void Stopped(string model, double elapsedMs);
}
