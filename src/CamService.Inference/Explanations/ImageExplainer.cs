using System.Diagnostics;
using CamService.Imaging;
using CamService.Inference.Runtime;

namespace CamService.Inference.Explanations;

/// <summary>
/// Explains one image with several models on a host's cores and draws every map's pictures: each model's run (its
/// methods and metrics included) on the cores its <see cref="RunPlan"/> gives it, each map's pictures on a core of
/// their own. The web service's path; the CLI's batches take <see cref="ModelExplainer.ExplainBatch"/>.
/// </summary>
public static class ImageExplainer
{
    /// <summary>
    /// One result per model, in the models' order, with each map's <see cref="MapPictures"/> as <paramref name="pictures"/> asks.
    /// It ends only when every run and drawing has: none still uses the image when it is disposed.
    /// </summary>
    /// <exception cref="ModelExplanationException">A model could not explain the image (its outputs are not finite, say).</exception>
    public static Task<DrawnExplanation<MapPictures>[]> ExplainAsync(CoreScheduler cores, LoadedImage image, IReadOnlyList<ExplainableModel> models,
        ExplanationSpec spec, PictureSpec pictures, IModelRunObserver observer, CancellationToken cancellationToken) =>
        ExplainAsync(cores, image, models, spec, (explanation, map) => MapPictures.Draw(image, explanation.Maps[map].Map, explanation.Geometry, pictures.Width, pictures.Height,
            pictures.Style, pictures.Heatmap, pictures.Overlay), observer, cancellationToken);

    /// <summary>As the other overload, each map drawn by <paramref name="draw"/> (an animation's frame, say), given the map's index, on a core of its own.</summary>
    public static async Task<DrawnExplanation<TPicture>[]> ExplainAsync<TPicture>(CoreScheduler cores, LoadedImage image, IReadOnlyList<ExplainableModel> models,
        ExplanationSpec spec, Func<ModelExplanation, int, TPicture> draw, IModelRunObserver observer, CancellationToken cancellationToken)
    {
        var plan = RunPlan.For(models.Select(m => m.Model.Threads).ToList(), cores.Cores);

        // One engine call per model computes all its maps: a many-forwards method (Score-CAM) keeps the run's
        // cores for its whole time, and the caller's deadline stops it as it stops a run.
        Task<ModelExplanation> Run(int i, bool underLoad)
        {
            var threads = models[i].Model.Threads;
            var preferred = underLoad ? threads.UnderLoad.Threads : threads.Fastest.Threads;
            return cores.RunAsync(preferred, threads.UnderLoad.Threads,
                lease => Explain(image, models[i], spec, underLoad || lease.UnderLoad, observer, cancellationToken), cancellationToken);
        }

        async Task<DrawnExplanation<TPicture>> Draw(ModelExplanation explanation) =>
            new(explanation, await Task.WhenAll(explanation.Maps.Select((_, map) => cores.RunAsync(() => draw(explanation, map), cancellationToken))));

        var drawn = new DrawnExplanation<TPicture>[models.Count];
        if (plan.SideBySide)
        {
            // Each run asks for its cores in the plan's order, and its pictures are drawn on the cores it frees.
            await Task.WhenAll(plan.Order.Select(async i => drawn[i] = await Draw(await Run(i, underLoad: true))));
            return drawn;
        }
        // One after another. The pictures wait for a run that leaves a core free, which the plan puts last, or else
        // for the last run's end: a picture drawn during a run that uses every core would take a core that run is fastest with.
        var drawing = new Task<DrawnExplanation<TPicture>>[models.Count];
        var undrawn = new List<(int Index, ModelExplanation Explanation)>();
        void DrawUndrawn()
        {
            undrawn.ForEach(e => drawing[e.Index] = Draw(e.Explanation));
            undrawn.Clear();
        }
        try
        {
            foreach (var i in plan.Order)
            {
                // The run holds its cores once Run returns, if they were free: the pictures then queue for the others.
                var run = Run(i, underLoad: false);
                if (RunPlan.LeavesCoresFree(models[i].Model.Threads, cores.Cores))
                {
                    DrawUndrawn();
                }
                undrawn.Add((i, await run));
            }
        }
        catch
        {
            // A run failed or was stopped: the pictures already under way end before the caller disposes the image.
            await ((Task)Task.WhenAll(drawing.Where(d => d is not null))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        DrawUndrawn();
        return await Task.WhenAll(drawing);
    }

    static ModelExplanation Explain(LoadedImage image, ExplainableModel model, ExplanationSpec spec, bool underLoad, IModelRunObserver observer,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var explanation = ModelExplainer.Explain(model, image, spec, underLoad, cancellationToken);
            observer.Ran(model.Name, underLoad, explanation.InferenceMs);
            return explanation;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            observer.Stopped(model.Name, clock.Elapsed.TotalMilliseconds);
            throw;
        }
        catch (Exception e) when (e is NonFiniteOutputException or MethodUnavailableException or TargetException)
        {
            throw new ModelExplanationException(model.Name, e);
        }
    }
}
