using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Onnx;

namespace CamService.Cli.Commands;

/// <summary>inspect &lt;model.onnx&gt;: inputs, outputs, target layer, the ops on the gradient path, parameters, CAM-readiness.</summary>
public static class InspectCommand
{
    public const string Usage = "inspect <model.onnx> [--target-layer NAME]";

    public static int Run(Arguments args, TextWriter output)
    {
        var path = args.Positional(0, "the model path");
        var targetLayer = args.Option("target-layer");
        args.RejectUnknown(1);

        var model = OnnxModelFile.Load(path);
        var graph = new GraphIndex(model);
        var info = CamModelInfo.Read(model);
        output.WriteLine($"{path}");
        output.WriteLine($"  producer     {model.ProducerName} {model.ProducerVersion}".TrimEnd());
        output.WriteLine($"  IR version   {model.IrVersion}, opset {graph.Opset}");
        output.WriteLine($"  parameters   {model.Graph.Initializer.Sum(Tensors.ElementCount):N0}");
        output.WriteLine($"  nodes        {model.Graph.Node.Count} ({string.Join(", ", model.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Key} {g.Count()}"))})");
        foreach (var input in graph.DataInputs)
        {
            output.WriteLine($"  input        {Describe(input)}");
        }
        foreach (var o in model.Graph.Output)
        {
            output.WriteLine($"  output       {Describe(o)}");
        }
        if (info.Architecture is not null || info.Weights != WeightsKind.Custom)
        {
            output.WriteLine($"  model        {info.Architecture ?? "?"} ({info.Family ?? "?"}), weights {Weights(info.Weights)}");
        }
        if (info.Preprocessing is { } p)
        {
            output.WriteLine($"  preprocess   {p.Layout.ToMetadata()} {p.Height}x{p.Width} (crop from {p.ResizeSize}, {p.Interpolation.ToMetadata()}), {p.ChannelOrder.ToMetadata()}, scale {p.PixelScale:G4}, mean [{string.Join(", ", p.Mean)}], std [{string.Join(", ", p.Std)}]");
        }

        if (info.IsCamReady)
        {
            var head = new HeadExtractor(model);
            var labels = info.Labels?.Count.ToString() ?? (info.LabelsFile is { } file ? $"in {file}" : "none");
            output.WriteLine($"  CAM-ready    yes (contract v{info.Version}, {info.Producer})");
            output.WriteLine($"  target layer {info.TargetLayer} ({info.TargetLayout?.ToMetadata()})");
            output.WriteLine($"  scores       {info.Logits}, labels {labels}");
            output.WriteLine($"  path         {string.Join(" -> ", head.Nodes.Where(n => n.OpType != "Constant").Select(n => n.OpType))}");
            return 0;
        }

        output.WriteLine("  CAM-ready    no (run 'prepare' to make it so)");
        try
        {
            var analysis = new CamReadyBuilder().Analyze(model, new PrepareOptions { TargetLayer = targetLayer });
            var shape = analysis.Shapes[analysis.Target.Tensor];
            output.WriteLine($"  target layer {analysis.SourceTarget} [{string.Join(", ", shape)}] ({analysis.Target.Reason})");
            output.WriteLine($"  scores       {analysis.SourceScores} ({analysis.NumClasses} classes)");
            output.WriteLine($"  path         {string.Join(" -> ", analysis.Path.Nodes.Select(n => n.OpType))}");
        }
        catch (Exception e) when (e is CamReadyException or GradientException)
        {
            output.WriteLine($"  prepare would fail: {e.Message}");
        }
        return 0;
    }

    static string Weights(WeightsKind kind) => kind == WeightsKind.Random ? "random (untrained)" : kind.ToString().ToLowerInvariant();

    static string Describe(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        if (tensor is null)
        {
            return value.Name;
        }
        var type = ((TensorProto.Types.DataType)tensor.ElemType).ToString().ToLowerInvariant();
        var dims = tensor.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString() : d.HasDimParam ? d.DimParam : "?") ?? [];
        return $"{value.Name}: {type} [{string.Join(", ", dims)}]";
    }
}
