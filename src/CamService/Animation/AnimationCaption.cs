using CamService.Imaging.Animation;
using CamService.Inference.Explanations;
using CamService.Models;

namespace CamService.Animation;

/// <summary>
/// A frame's <see cref="FrameCaption"/> from what GET /models says about the model (its parameters, GMACs and
/// measured latency) and the map's method, class and probability.
/// </summary>
public static class AnimationCaption
{
    public static IReadOnlyList<string> Lines(ModelDescription model, MapExplanation map)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(map);
        return new FrameCaption(model.Id, model.Untrained, map.Method, map.Target.Label, map.Probability, model.Parameters, model.GigaMacs,
            model.LatencyMs).Lines();
    }
}
