using CamService.Imaging;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;

namespace CamService.Inference.Runtime;

/// <summary>A CAM-ready model's image input, as its metadata declares it.</summary>
internal static class ModelInput
{
    /// <summary>The image input's shape for <paramref name="batch"/> images in the model's layout.</summary>
    public static long[] Shape(InputPreprocessing p, int batch) => p.ChannelsLast ? [batch, p.Height, p.Width, 3] : [batch, 3, p.Height, p.Width];

    /// <summary>The metadata's preprocessing in the pixel code's terms; its checks make a model with bad values fail to load.</summary>
    public static InputPreprocessing Of(CamModelInfo info)
    {
        var p = info.Preprocessing ?? throw new CamReadyException("The model's metadata lacks its preprocessing (cam.input_size).");
        try
        {
            return new InputPreprocessing
            {
                Height = p.Height,
                Width = p.Width,
                ResizeSize = p.ResizeSize,
                Resampler = p.Interpolation == Interpolation.Bicubic ? InputPreprocessing.Bicubic : InputPreprocessing.Bilinear,
                Bgr = p.ChannelOrder == ChannelOrder.Bgr,
                ChannelsLast = p.Layout == TensorLayout.Nhwc,
                PixelScale = p.PixelScale,
                Mean = p.Mean,
                Std = p.Std,
            };
        }
        catch (ArgumentException e)
        {
            throw new CamReadyException($"The model's preprocessing metadata is not usable: {e.Message}");
        }
    }
}
