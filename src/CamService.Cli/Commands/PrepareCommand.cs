using System.Diagnostics;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;

namespace CamService.Cli.Commands;

/// <summary>prepare &lt;plain.onnx&gt; &lt;out.onnx&gt;: makes a plain classifier CAM-ready.</summary>
public static class PrepareCommand
{
    public const string Usage =
        "prepare <plain.onnx> <out.onnx> [--target-layer NAME] [--target-layout NCHW|NHWC] [--output NAME]\n" +
        "        [--labels FILE] [--mean a,b,c --std a,b,c] [--weights pretrained|random|custom]";

    public static int Run(Arguments args, TextWriter output)
    {
        var source = args.Positional(0, "the plain model path");
        var destination = args.Positional(1, "the output path");
        var labelsFile = args.Option("labels");
        var options = new PrepareOptions
        {
            TargetLayer = args.Option("target-layer"),
            TargetLayout = args.Option("target-layout") is { } layout
                ? MetadataNames.TryParse<TensorLayout>(layout, out var parsed) ? parsed : throw new UsageException("--target-layout is NCHW or NHWC.")
                : null,
            Output = args.Option("output"),
            Labels = labelsFile is null ? null : CamModelInfo.ReadLabelsFile(labelsFile),
            Mean = args.Option("mean") is { } mean ? CamModelInfo.ParseFloats(mean, "--mean") : null,
            Std = args.Option("std") is { } std ? CamModelInfo.ParseFloats(std, "--std") : null,
            Weights = args.Option("weights") is { } w
                ? Enum.TryParse<WeightsKind>(w, ignoreCase: true, out var kind) ? kind : throw new UsageException("--weights is pretrained, random or custom.")
                : null,
        };
        args.RejectUnknown(2);

        var clock = Stopwatch.StartNew();
        var result = new CamReadyBuilder().Prepare(OnnxModelFile.Load(source), options);
        OnnxModelFile.Save(result.Model, destination);

        output.WriteLine($"CAM-ready model written to {destination} in {clock.Elapsed.TotalSeconds:F2} s");
        output.WriteLine($"  target layer  {result.Target.Tensor} ({result.Target.Reason})");
        output.WriteLine($"  activations   [N, {string.Join(", ", result.Info.ActivationShape!)}]");
        output.WriteLine($"  classes       {result.Info.NumClasses}");
        output.WriteLine($"  gradient path {string.Join(" -> ", result.Path.Select(n => n.OpType))}");
        output.WriteLine($"  weights       {result.Info.Weights.ToString().ToLowerInvariant()}");
        return 0;
    }
}
