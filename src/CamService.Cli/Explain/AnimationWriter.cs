using CamService.Imaging;
using CamService.Imaging.Animation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cli.Explain;

/// <summary>
/// --gif: one animated GIF per image, animations/&lt;image id&gt;.gif, a captioned frame per model, method and target in
/// the service's order (models outer, then methods, then targets), drawn and encoded as POST /cam/animation does.
/// </summary>
/// <param name="write">Writes a file, by its path inside the output folder.</param>
public sealed class AnimationWriter(ExplainOptions options, IReadOnlyList<LoadedModel> models, Action<string, byte[]> write)
{
    /// <summary>The GIF's path inside the output folder.</summary>
    public static string File(ImageInput input) => $"{Inputs.AnimationsFolder}/{input.Id}.gif";

    /// <summary>Writes the image's GIF; an image no model explained has none.</summary>
    public void Write(ImageInput input, LoadedImage image, IReadOnlyList<ModelMaps> maps)
    {
        if (maps.Count == 0)
        {
            return;
        }
        var (width, height) = DecodeHint.PictureSize(image.Width, image.Height, options.GifSize);
        var photo = image.Display(width, height);
        var frames = new List<Image<Rgb24>>();
        try
        {
            foreach (var modelMaps in maps)
            {
                var model = models[modelMaps.Column];
                foreach (var map in modelMaps.Explanation.Maps)
                {
                    var caption = new FrameCaption(model.Name, model.Untrained, map.Method, map.Target.Label, map.Probability, model.Model.Parameters,
                        model.Model.Info.GigaMacs, Math.Round(modelMaps.LatencyMs, 2));
                    frames.Add(AnimationFrame.Draw(photo, map.Map.Data, map.Map.Height, map.Map.Width, modelMaps.Explanation.Geometry, options.Colormap, options.Alpha,
                        caption.Lines()));
                }
            }
            write(File(input), AnimationEncoder.Gif(frames, options.GifFrameMs));
        }
        finally
        {
            foreach (var frame in frames)
            {
                frame.Dispose();
            }
        }
    }
}
