using System.Diagnostics;
using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;
using CamService.Onnx.Model;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cli.Explain;

/// <summary>
/// Explains many images with several models: a batch of images is decoded once, then each model
/// preprocesses it, explains it in one engine call (every method and target), and its overlays and grid
/// cells are drawn, and its maps scored (--metrics). Each image's maps are kept until every model has run on the
/// batch, to compare them (--agreement) and animate them (--gif). An image that cannot be read, or whose outputs
/// are not finite, is reported and skipped.
/// </summary>
public sealed class BatchExplainer(ExplainOptions options, TextWriter output, Progress progress)
{
    readonly ImageLoader loader = new(new ImageLimits());
    readonly ExplanationSpec spec = options.Spec;
    readonly PictureStyle style = new(options.Colormap, options.Alpha, options.Format, options.Quality);
    readonly List<ImageSummary> images = [];
    readonly List<ExplanationSummary> explanations = [];
    readonly List<Failure> failures = [];
    AgreementWriter? agreement;
    AnimationWriter? animation;

    /// <summary>Runs everything and writes the summary; returns the number of images that failed (with any model).</summary>
    public int Run()
    {
        var models = LoadedModel.LoadAll(options, spec, progress);
        try
        {
            Directory.CreateDirectory(options.OutputDirectory);
            var names = models.Select(m => m.Name).ToList();
            agreement = options.Agreement ? new AgreementWriter(options, models, Write) : null;
            animation = options.Gif ? new AnimationWriter(options, models, Write) : null;
            var grids = new GridWriter[options.Methods.Count, options.Targets.Count];
            try
            {
                for (var m = 0; m < options.Methods.Count; m++)
                {
                    for (var t = 0; t < options.Targets.Count; t++)
                    {
                        grids[m, t] = new GridWriter(models.Count, options.Images.Count, options.GridCell);
                    }
                }
                var hint = DecodeHintFor(models);
                for (var start = 0; start < options.Images.Count; start += options.Batch)
                {
                    ExplainBatch(start, Math.Min(options.Batch, options.Images.Count - start), hint, models, grids);
                }
                progress.Finish();

                var gridSummaries = new List<GridSummary>();
                for (var m = 0; m < options.Methods.Count; m++)
                {
                    for (var t = 0; t < options.Targets.Count; t++)
                    {
                        var file = $"{Inputs.GridsFolder}/{options.Methods[m].Name}.{options.Targets[t].Key}.png";
                        Write(file, grids[m, t].ToPng());
                        gridSummaries.Add(new GridSummary(file, options.Methods[m].Name, options.Targets[t].Key, options.GridCell, GridWriter.Gap,
                            options.Images.Select(i => i.Id).ToList(), names));
                    }
                }
                WriteSummary(models, gridSummaries);
            }
            finally
            {
                foreach (var grid in grids)
                {
                    grid?.Dispose();
                }
            }
        }
        finally
        {
            foreach (var model in models)
            {
                model.Model.Dispose();
            }
        }
        return failures.Select(f => f.Image).Distinct(StringComparer.Ordinal).Count();
    }

    void ExplainBatch(int start, int count, DecodeHint hint, List<LoadedModel> models, GridWriter[,] grids)
    {
        var decoded = new LoadedImage?[count];
        var decodeMs = new double[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                (decoded[i], decodeMs[i]) = Decode(options.Images[start + i], hint);
            }
            var readable = Enumerable.Range(0, count).Where(i => decoded[i] is not null).ToArray();
            var kept = readable.ToDictionary(i => start + i, _ => new List<ModelMaps>(models.Count));
            for (var m = 0; m < models.Count; m++)
            {
                if (readable.Length > 0)
                {
                    ExplainWithModel(m, models[m], readable.Select(i => (start + i, decoded[i]!, decodeMs[i])).ToList(), grids, kept);
                }
                progress.Advance(count);
            }
            foreach (var i in readable)
            {
                agreement?.Add(options.Images[start + i], decoded[i]!, kept[start + i]);
                animation?.Write(options.Images[start + i], decoded[i]!, kept[start + i]);
            }
            foreach (var grid in grids)
            {
                grid.CompleteRows(start + count);
            }
        }
        finally
        {
            foreach (var image in decoded)
            {
                image?.Dispose();
            }
        }
    }

    (LoadedImage?, double) Decode(ImageInput input, DecodeHint hint)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var image = loader.Load(File.ReadAllBytes(input.Path), hint);
            var ms = Round(clock.Elapsed.TotalMilliseconds);
            images.Add(new ImageSummary(input.Id, input.Path, image.Width, image.Height, image.Format, ms, null));
            return (image, ms);
        }
        catch (Exception e) when (e is UnsupportedImageException or ImageTooLargeException or CorruptImageException or IOException or UnauthorizedAccessException)
        {
            progress.Note($"skipped {input.Path}: {e.Message}");
            images.Add(new ImageSummary(input.Id, input.Path, null, null, null, null, e.Message));
            failures.Add(new Failure(input.Id, null, e.Message));
            return (null, 0);
        }
    }

    /// <summary>
    /// Decoded large enough for the overlays and grid cells, and for every model's input to keep
    /// <see cref="ImageReduction.ModelGap"/> over what it resamples (as the service decodes uploads).
    /// </summary>
    DecodeHint DecodeHintFor(List<LoadedModel> models) =>
        DecodeHint.For(options.MaxSize == 0 ? int.MaxValue : Math.Max(options.MaxSize, options.GridCell), models.Select(m => m.Model.Preprocessing));

    /// <summary>The batch's maps by one model; each image's maps are added to <paramref name="kept"/> when --agreement or --gif needs them.</summary>
    void ExplainWithModel(int column, LoadedModel entry, List<(int Row, LoadedImage Image, double DecodeMs)> batch, GridWriter[,] grids,
        Dictionary<int, List<ModelMaps>> kept)
    {
        var explained = ModelExplainer.ExplainBatch(entry.Explainable, batch.Select(b => b.Image).ToList(), spec);
        foreach (var (failure, i) in explained.Select((e, i) => (e.Failure, i)).Where(e => e.Failure is not null))
        {
            Fail(batch[i].Row, entry, "skipped", failure!);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (explained[i].Explanation is not { } result)
            {
                continue;
            }
            var (row, image, decodeMs) = batch[i];
            if (agreement is not null || animation is not null)
            {
                kept[row].Add(new ModelMaps(column, result, result.InferenceMs / batch.Count));
            }
            for (var m = 0; m < options.Methods.Count; m++)
            {
                for (var t = 0; t < options.Targets.Count; t++)
                {
                    var index = spec.MapIndex(m, t);
                    var map = result.Maps[index];
                    var file = $"{Inputs.OverlaysFolder}/{options.Images[row].Id}/{entry.Name}.{map.Method}.{options.Targets[t].Key}.{Extension(options.Format)}";
                    var clock = Stopwatch.StartNew();
                    Render(image, map.Map, result.Geometry, file, out var cell);
                    grids[m, t].Place(row, column, cell);
                    var timings = new Timings(decodeMs, Round(result.PreprocessMs), Round(result.InferenceMs), batch.Count, Round(map.CamMs),
                        Round(clock.Elapsed.TotalMilliseconds));
                    explanations.Add(new ExplanationSummary(options.Images[row].Id, entry.Name, map.Method, options.Targets[t].Key, map.Target.Index, map.Target.Label,
                        map.Target.Score, map.Probability, entry.Untrained, result.Predictions, file, timings, Scores(row, entry, result, index)));
                }
            }
        }
    }

    /// <summary>
    /// The map's faithfulness scores (--metrics), or null when none are asked; a perturbed copy with non-finite outputs
    /// fails the image with this model, as a non-finite explanation does.
    /// </summary>
    FaithfulnessScores? Scores(int row, LoadedModel entry, ModelExplanation explanation, int index)
    {
        if (explanation.Unscored?[index] is { } failure)
        {
            Fail(row, entry, "no metrics for", failure);
        }
        return explanation.Faithfulness?[index] is { } scores ? scores with { Ms = Round(scores.Ms) } : null;
    }

    void Fail(int row, LoadedModel entry, string what, string message)
    {
        var image = options.Images[row];
        progress.Note($"{what} {image.Path} with {entry.Name}: {message}");
        failures.Add(new Failure(image.Id, entry.Name, message));
    }

    /// <summary>The overlay written to <paramref name="file"/>, and the same overlay's pixels at grid-cell size.</summary>
    void Render(LoadedImage image, CamMap map, InputGeometry geometry, string file, out Image<Rgb24> cell)
    {
        var (width, height) = DecodeHint.PictureSize(image.Width, image.Height, options.MaxSize);
        Write(file, MapPictures.Draw(image, map, geometry, width, height, style, heatmap: false, overlay: true).Overlay!);
        var (cellWidth, cellHeight) = GridWriter.CellSize(image.Width, image.Height, options.GridCell);
        cell = MapPictures.OverlayPixels(image, map, geometry, cellWidth, cellHeight, options.Colormap, options.Alpha);
    }

    void WriteSummary(List<LoadedModel> models, List<GridSummary> grids)
    {
        var settings = new SummarySettings(options.Methods.Select(m => m.Name).ToList(), options.Targets.Select(t => t.Key).ToList(), options.Batch,
            Lower(options.Resize), options.MaxSize, options.TopK, Lower(options.Colormap), options.Alpha, Lower(options.Format), options.GridCell,
            options.MethodOptions.ScoreCamChannels);
        var modelSummaries = models.Select(m => new ModelSummary(m.Name, m.Path, m.Model.Info.Architecture, m.Untrained,
            m.Model.Device, m.Model.Preprocessing.Width, m.Model.Preprocessing.Height, m.Model.Parameters, m.Model.Info.GigaMacs)).ToList();
        var summary = new Summary(settings, modelSummaries, images, grids, explanations, failures, agreement?.Results);
        File.WriteAllText(Path.Combine(options.OutputDirectory, "summary.json"), summary.ToJson());
        File.WriteAllText(Path.Combine(options.OutputDirectory, "summary.csv"), summary.ToCsv());
        if (agreement is not null)
        {
            File.WriteAllText(Path.Combine(options.OutputDirectory, "agreement.csv"), agreement.ToCsv());
        }

        output.WriteLine($"{explanations.Count} overlays of {images.Count - images.Count(i => i.Error is not null)} of {images.Count} images, "
                         + $"{grids.Count} grids, summary.json and summary.csv in {options.OutputDirectory}");
        foreach (var grid in grids)
        {
            output.WriteLine($"  {grid.File}: {grid.Rows.Count} rows (the images in order, listed in summary.json), columns {string.Join(", ", grid.Columns)}");
        }
        if (agreement is not null)
        {
            output.WriteLine($"  agreement.csv and {Inputs.AgreementFolder}/: {agreement.Results.Count} comparisons of the models' maps (image, method, target)");
        }
        if (animation is not null)
        {
            output.WriteLine($"  {Inputs.AnimationsFolder}/: a GIF per image explained");
        }
    }

    void Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(options.OutputDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    static string Extension(OverlayFormat format) => format switch
    {
        OverlayFormat.Png => "png",
        OverlayFormat.Jpeg => "jpg",
        _ => "webp",
    };

    static string Lower<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    static double Round(double milliseconds) => Math.Round(milliseconds, 2);
}
