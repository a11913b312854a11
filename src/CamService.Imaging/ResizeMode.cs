namespace CamService.Imaging;

/// <summary>How the whole image becomes the model's fixed-size input.</summary>
public enum ResizeMode
{
    /// <summary>The whole image is resized to the input size; non-square images are distorted, nothing is lost.</summary>
    Stretch,

    /// <summary>
    /// torchvision's evaluation transform: the shorter side is resized to <c>Preprocessing.ResizeSize</c>
    /// (Resize(int)), then the centre is cut out (CenterCrop). The margins the crop drops are not seen by the model.
    /// </summary>
    Crop,
}
