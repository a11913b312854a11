using System.Buffers;
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
    readonly List<ImageSummary> images = [];
    readonly List<ExplanationSummary> explanations = [];
    readonly List<Failure> failures = [];
    AgreementWriter? agreement;
    AnimationWriter? animation;

    /// <summary>Runs everything and writes the summary; returns the number of images that failed (with any model).</summary>
    public int Run()
    {
        var models = LoadModels();
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

    /// <summary>
    /// Every model, made CAM-ready in memory when it is not (as the service does with its models folder),
    /// with every target checked against it before any image is read.
    /// </summary>
    List<LoadedModel> LoadModels()
    {
        var models = new List<LoadedModel>();
        try
        {
            foreach (var path in options.ModelPaths)
            {
                var name = Inputs.ModelName(path);
                CamReadyModel model;
                try
                {
                    var proto = OnnxModelFile.Load(path);
                    if (!CamModelInfo.Read(proto).IsCamReady)
                    {
                        progress.Note($"{name}: not CAM-ready; preparing it in memory (camservice prepare saves that for next time).");
                        proto = new CamReadyBuilder().Prepare(proto).Model;
                    }
                    model = CamReadyModel.Create(proto, options.Execution, Path.GetDirectoryName(Path.GetFullPath(path)),
                        warning => progress.Note($"{name}: {warning}"));
                }
                catch (Exception e) when (e is CamReadyException or GradientException or InvalidDataException or ExecutionProviderException
                                              or Google.Protobuf.InvalidProtocolBufferException)
                {
                    throw new InvalidDataException($"Model {path}: {e.Message}", e);
                }
                try
                {
                    models.Add(new LoadedModel(name, path, model, options.Targets.Select(t => t.Target.Resolve(model, name)).ToList()));
                }
                catch (TargetException e)
                {
                    model.Dispose();
                    throw new UsageException(e.Message);
                }
            }
            return models;
        }
        catch
        {
            foreach (var model in models)
            {
                model.Model.Dispose();
            }
            throw;
        }
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
        var model = entry.Model;
        var length = model.ImageLength;
        var input = ArrayPool<float>.Shared.Rent(batch.Count * length);
        try
        {
            var geometries = new InputGeometry[batch.Count];
            var preprocessMs = new double[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var clock = Stopwatch.StartNew();
                geometries[i] = TensorPreprocessor.Fill(batch[i].Image, model.Preprocessing, options.Resize, input.AsSpan(i * length, length));
                preprocessMs[i] = Round(clock.Elapsed.TotalMilliseconds);
            }
            var explained = ExplainImages(entry, input.AsMemory(0, batch.Count * length), batch);
            for (var i = 0; i < batch.Count; i++)
            {
                if (explained[i] is not { } result)
                {
                    continue;
                }
                var (row, image, decodeMs) = batch[i];
                var id = options.Images[row].Id;
                if (agreement is not null || animation is not null)
                {
                    kept[row].Add(new ModelMaps(column, geometries[i], result, result.InferenceMs / batch.Count));
                }
                for (var m = 0; m < options.Methods.Count; m++)
                {
                    for (var t = 0; t < options.Targets.Count; t++)
                    {
                        var map = result.Maps[m * options.Targets.Count + t];
                        var file = $"{Inputs.OverlaysFolder}/{id}/{entry.Name}.{map.Method}.{options.Targets[t].Key}.{Extension(options.Format)}";
                        var clock = Stopwatch.StartNew();
                        Render(image, map.Map, geometries[i], file, out var cell);
                        grids[m, t].Place(row, column, cell);
                        var timings = new Timings(decodeMs, preprocessMs[i], Round(result.InferenceMs), batch.Count, Round(map.CamMs),
                            Round(clock.Elapsed.TotalMilliseconds));
                        var metrics = Score(entry, options.Images[row], input.AsSpan(i * length, length), map);
                        explanations.Add(new ExplanationSummary(id, entry.Name, map.Method, options.Targets[t].Key, map.Target.Index, map.Target.Label,
                            map.Target.Score, map.Probability, entry.Untrained, result.Predictions, file, timings, metrics));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>
    /// The map's faithfulness scores on the model's input (--metrics), or null when none are asked; a perturbed copy
    /// with non-finite outputs fails the image with this model, as a non-finite explanation does.
    /// </summary>
    FaithfulnessScores? Score(LoadedModel entry, ImageInput image, ReadOnlySpan<float> input, MapExplanation map)
    {
        if (options.Metrics == FaithfulnessMetrics.None)
        {
            return null;
        }
        try
        {
            var settings = new FaithfulnessOptions { Steps = options.MetricSteps, BatchSize = options.MethodOptions.BatchSize };
            var scores = FaithfulnessEvaluator.Evaluate(entry.Model, input, map.Map, map.Target.Index, map.Probability, options.Metrics, settings,
                CancellationToken.None);
            return scores with { Ms = Round(scores.Ms) };
        }
        catch (NonFiniteOutputException e)
        {
            progress.Note($"no metrics for {image.Path} with {entry.Name}: {e.Message}");
            failures.Add(new Failure(image.Id, entry.Name, e.Message));
            return null;
        }
    }

    /// <summary>
    /// The batch in one engine call. A non-finite output fails the whole call, so then each image is explained
    /// alone, to skip only the one at fault; null for an image that failed.
    /// </summary>
    ImageExplanation?[] ExplainImages(LoadedModel entry, ReadOnlyMemory<float> input, List<(int Row, LoadedImage Image, double DecodeMs)> batch)
    {
        var settings = new ExplainSettings { TopK = options.TopK, Methods = options.MethodOptions };
        var targets = options.Targets.Select(t => t.Target).ToList();
        if (batch.Count > 1)
        {
            try
            {
                return [.. CamEngine.Explain(entry.Model, entry.Name, input, batch.Count, targets, options.Methods, settings)];
            }
            catch (NonFiniteOutputException)
            {
                // Retried one by one below.
            }
        }
        var length = entry.Model.ImageLength;
        var results = new ImageExplanation?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                results[i] = CamEngine.Explain(entry.Model, entry.Name, input.Slice(i * length, length), 1, targets, options.Methods, settings)[0];
            }
            catch (NonFiniteOutputException e)
            {
                var id = options.Images[batch[i].Row].Id;
                progress.Note($"skipped {options.Images[batch[i].Row].Path} with {entry.Name}: {e.Message}");
                failures.Add(new Failure(id, entry.Name, e.Message));
            }
        }
        return results;
    }

    /// <summary>The overlay written to <paramref name="file"/>, and the same overlay at grid-cell size.</summary>
    void Render(LoadedImage image, CamMap map, InputGeometry geometry, string file, out Image<Rgb24> cell)
    {
        var (width, height) = DecodeHint.PictureSize(image.Width, image.Height, options.MaxSize);
        Write(file, Overlay(image, map, geometry, width, height, options.Format));
        var (cellWidth, cellHeight) = GridWriter.CellSize(image.Width, image.Height, options.GridCell);
        cell = Image.Load<Rgb24>(Overlay(image, map, geometry, cellWidth, cellHeight, OverlayFormat.Png));
    }

    byte[] Overlay(LoadedImage image, CamMap map, InputGeometry geometry, int width, int height, OverlayFormat format)
    {
        var projected = ArrayPool<float>.Shared.Rent(width * height);
        try
        {
            var pixels = projected.AsSpan(0, width * height);
            CamRenderer.Project(map.Data, map.Height, map.Width, geometry, pixels, width, height);
            return CamRenderer.Overlay(image.Display(width, height), pixels, options.Colormap, options.Alpha, format, options.Quality);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(projected);
        }
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
