using System.Diagnostics;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;

namespace CamService.Cli.Commands;

/// <summary>prepare &lt;plain.onnx&gt; &lt;out.onnx&gt;: makes a plain classifier CAM-ready.</summary>
public static class PrepareCommand
{
    public const string Usage =
        "prepare <plain.onnx> <out.onnx> [--target-layer NAME] [--target-layout NCHW|NHWC|TOKENS] [--grid HxW] [--output NAME]\n" +
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
                ? MetadataNames.TryParse<TensorLayout>(layout, out var parsed) ? parsed : throw new UsageException("--target-layout is NCHW, NHWC or TOKENS.")
                : null,
            Grid = args.Option("grid") is { } grid ? ParseGrid(grid) : null,
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
        output.WriteLine($"  activations   [N, {string.Join(", ", result.Info.ActivationShape!)}]" +
            (result.Info.ExtraTokens is { } extra ? $" (a {result.Info.ActivationShape![1]}×{result.Info.ActivationShape[2]} grid of tokens after {extra} extra)" : ""));
        output.WriteLine($"  classes       {result.Info.NumClasses}");
        output.WriteLine($"  gradient path {string.Join(" -> ", result.Path.Select(n => n.OpType))}");
        output.WriteLine($"  weights       {result.Info.Weights.ToString().ToLowerInvariant()}");
        return 0;
    }

    /// <summary>"14x14" (rows by columns) as a token sequence's grid.</summary>
    static (int Height, int Width) ParseGrid(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out var height) && int.TryParse(parts[1], out var width) && height > 0 && width > 0
            ? (height, width)
            : throw new UsageException($"--grid is HxW, rows by columns (14x14), not '{text}'.");
    }
}
