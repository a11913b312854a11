namespace CamService.Inference.Methods;

/// <summary>What a method costs beyond the one run that gives activations and gradients.</summary>
public enum CostClass
{
    /// <summary>Nothing: a formula over the activations (and gradients) of that run.</summary>
    OnePass,

    /// <summary>Batched runs of the head alone (target layer → logits): a few MFLOPs each.</summary>
    HeadOnly,

    /// <summary>Batched forward passes of the whole model on modified inputs.</summary>
    ManyForwards,
}

/// <summary>
/// A class activation map method. Methods are stateless and shared: everything a call needs comes in
/// through <see cref="CamContext"/>, including the model runs it may ask for.
/// </summary>
public abstract class CamMethod
{
    /// <summary>The name requests use, as pytorch-grad-cam names the method ("gradcam").</summary>
    public abstract string Name { get; }

    /// <summary>One line for GET /methods and the CLI: what the map is, and its paper.</summary>
    public abstract string Description { get; }

    public virtual CostClass Cost => CostClass.OnePass;

    /// <summary>Whether the method reads <see cref="CamContext.Gradients"/> (Eigen-CAM does not).</summary>
    public virtual bool UsesGradients => true;

    /// <summary>Writes the raw, unnormalised map ([h, w]) into <paramref name="map"/>.</summary>
    public abstract void Compute(in CamContext context, Span<float> map);
}
