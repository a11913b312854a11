using CamService.Inference.Explanations;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;
using CamService.Onnx.Model;

namespace CamService.Cli.Explain;

/// <summary>A model of the run: its file, and the model named by its file name with each --target resolved against it.</summary>
public sealed record LoadedModel(string Path, ExplainableModel Explainable)
{
    public string Name => Explainable.Name;

    public CamReadyModel Model => Explainable.Model;

    public bool Untrained => Explainable.Untrained;

    /// <summary>
    /// Every model, made CAM-ready in memory when it is not (as the service does with its models folder),
    /// with every target and method checked against it before any image is read.
    /// </summary>
    public static List<LoadedModel> LoadAll(ExplainOptions options, ExplanationSpec spec, Progress progress)
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
                    var proto = CamReadyForm.Of(OnnxModelFile.Load(path), plain =>
                    {
                        progress.Note($"{name}: not CAM-ready; preparing it in memory (camservice prepare saves that for next time).");
                        return new CamReadyBuilder().Prepare(plain).Model;
                    });
                    model = CamReadyModel.Create(proto, options.Execution, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)),
                        warning => progress.Note($"{name}: {warning}"));
                }
                catch (Exception e) when (e is CamReadyException or GradientException or InvalidDataException or ExecutionProviderException
                                              or Google.Protobuf.InvalidProtocolBufferException)
                {
                    throw new InvalidDataException($"Model {path}: {e.Message}", e);
                }
                try
                {
                    models.Add(new LoadedModel(path, ExplainableModel.Resolve(name, model, spec.Targets, spec.Methods)));
                }
                catch (Exception e) when (e is TargetException or MethodUnavailableException)
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
}
