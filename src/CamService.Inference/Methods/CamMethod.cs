namespace CamService.Inference.Methods;

/// <summary>One image's target layer and the gradient of one class score with respect to it.</summary>
public readonly ref struct CamInput(ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients, int channels, int height, int width)
{
    /// <summary>[K, h, w].</summary>
    public ReadOnlySpan<float> Activations { get; } = activations;

    /// <summary>[K, h, w]; empty for methods that do not use gradients.</summary>
    public ReadOnlySpan<float> Gradients { get; } = gradients;

    public int Channels { get; } = channels;

    public int Height { get; } = height;

    public int Width { get; } = width;

    public int Positions => Height * Width;

    public ReadOnlySpan<float> ActivationChannel(int k) => Activations.Slice(k * Positions, Positions);

    public ReadOnlySpan<float> GradientChannel(int k) => Gradients.Slice(k * Positions, Positions);
}

/// <summary>
/// A class activation map method. Methods are stateless and shared: everything a call needs
/// comes in through <see cref="CamInput"/>.
/// </summary>
public abstract class CamMethod
{
    /// <summary>The name requests use ("gradcam").</summary>
    public abstract string Name { get; }

    /// <summary>Whether the method needs the gradients output (Grad-CAM does; Eigen-CAM would not).</summary>
    public virtual bool UsesGradients => true;

    /// <summary>Writes the raw, unnormalised map ([h, w]) into <paramref name="map"/>.</summary>
    public abstract void Compute(in CamInput input, Span<float> map);
}
