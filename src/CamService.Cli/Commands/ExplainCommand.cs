using System.Diagnostics;
using CamService.Cli.Explain;
using CamService.Imaging;
using CamService.Imaging.Animation;
using CamService.Inference.Agreement;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;

namespace CamService.Cli.Commands;

/// <summary>
/// explain &lt;image|folder&gt; ...: overlays of every image for every model, method and target, a grid per
/// method and target (images × models), and summary.json / summary.csv, in --out; on request the maps' faithfulness
/// metrics, the models' agreement and an animated GIF per image.
/// </summary>
public static class ExplainCommand
{
    public const string Usage = "explain <image|folder> ... --out DIR [--models FILE|FOLDER,...] [--method gradcam,...|all] [--target top1,INDEX,LABEL,...] "
                                + "[--recursive] [--batch 8] [--max-size 1280] [--resize stretch|crop] [--topk 5] [--alpha 0.5] "
                                + "[--colormap jet|turbo|viridis|inferno] [--format png|jpeg|webp] [--quality 90] [--grid-cell 256] "
                                + "[--scorecam-channels N] [--device cpu|cuda] [--metrics[=drop,deletion,insertion|all]] [--metric-steps 20] "
                                + "[--agreement] [--agreement-top-percent 20] [--gif] [--gif-frame-ms 1000] [--gif-size 640]\n"
                                + "  --metrics: faithfulness scores of every map (all three, or those listed after '='), in summary.json and summary.csv.\n"
                                + "  --agreement (2 models or more): the models' maps of each image, method and target compared, in summary.json and "
                                + "agreement.csv, with agreement/<image>/consensus.<method>.<target>.png and disagreement.<method>.<target>.png.\n"
                                + "  --gif: animations/<image>.gif, a captioned frame per model, method and target; the latency in a caption is this "
                                + "run's inference time per image (the batch's run divided by its images).";

    /// <summary>The folder the service reads its models from by default (Models:Directory).</summary>
    public const string DefaultModels = "onnx/models";

    public static int Run(Arguments args, TextWriter output)
    {
        var options = Parse(args);
        var clock = Stopwatch.StartNew();
        var progress = new Progress(Console.Error, terminal: !Console.IsErrorRedirected, options.Images.Count * options.ModelPaths.Count,
            () => clock.Elapsed, TimeSpan.FromSeconds(5));
        var failed = new BatchExplainer(options, output, progress).Run();
        if (failed > 0)
        {
            Console.Error.WriteLine($"error: {failed} of {options.Images.Count} images could not be explained (see the messages above, and 'failures' in summary.json).");
            return 1;
        }
        return 0;
    }

    public static ExplainOptions Parse(Arguments args)
    {
        var outputDirectory = args.Option("out") ?? throw new UsageException("--out names the folder to write to.");
        var recursive = args.Flag("recursive");
        var options = new ExplainOptions
        {
            OutputDirectory = outputDirectory,
            ModelPaths = Inputs.FindModels(args.Option("models") ?? DefaultModels),
            Methods = ParseMethods(args.Option("method"), CamMethods.Default),
            Targets = TargetChoice.ParseList(args.Option("target")),
            Batch = InRange(args, "batch", 8, 1, 1024),
            MaxSize = InRange(args, "max-size", 1280, 0, 100_000),
            Resize = args.Choice("resize", ResizeMode.Stretch),
            TopK = InRange(args, "topk", 5, 1, 1000),
            Alpha = (float)args.Double("alpha", 0.5) is var alpha && alpha is >= 0 and <= 1 ? alpha : throw new UsageException("--alpha is from 0 to 1."),
            Colormap = args.Choice("colormap", Colormap.Jet),
            Format = args.Choice("format", OverlayFormat.Png),
            Quality = InRange(args, "quality", 90, 1, 100),
            GridCell = InRange(args, "grid-cell", 256, 16, 4096),
            MethodOptions = MethodOptions.Default with { ScoreCamChannels = InRange(args, "scorecam-channels", 0, 0, 100_000) },
            Execution = new() { Device = TuneCommand.ParseDevice(args.Option("device")) },
            Metrics = ParseMetrics(args),
            MetricSteps = InRange(args, "metric-steps", FaithfulnessOptions.DefaultSteps, 1, 100),
            Agreement = args.Flag("agreement"),
            AgreementTopPercent = args.Double("agreement-top-percent", MapAgreement.DefaultTopPercent) is var top && top is >= 1 and <= 99
                ? top
                : throw new UsageException("--agreement-top-percent is a number from 1 to 99 (percent of the pixels)."),
            Gif = args.Flag("gif"),
            GifFrameMs = InRange(args, "gif-frame-ms", 1000, AnimationEncoder.MinFrameMs, AnimationEncoder.MaxFrameMs),
            GifSize = InRange(args, "gif-size", 640, 16, 4096),
            Images = [],
        };
        if (options.Agreement && options.ModelPaths.Count < 2)
        {
            throw new UsageException("--agreement compares models: name two or more with --models.");
        }
        if (args.PositionalCount == 0)
        {
            throw new UsageException("Name the images or folders to explain.");
        }
        args.RejectUnknown(args.PositionalCount);
        var paths = Enumerable.Range(0, args.PositionalCount).Select(i => args.Positional(i, "image")).ToList();
        return options with { Images = Inputs.FindImages(paths, recursive, outputDirectory) };
    }

    /// <summary>A comma list of registered methods, or "all" for every one; gradcam when none is named.</summary>
    public static IReadOnlyList<CamMethod> ParseMethods(string? text, CamMethods registry)
    {
        if (text?.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) == true)
        {
            return registry.All.ToList();
        }
        var names = (text ?? "gradcam").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var methods = names.Select(n => registry.Find(n)
            ?? throw new UsageException($"Unknown method '{n}'. Methods: {string.Join(", ", registry.Names)} (or all).")).ToList();
        if (methods.Count == 0)
        {
            throw new UsageException("--method names no method.");
        }
        if (methods.Distinct().Count() != methods.Count)
        {
            throw new UsageException("--method lists a method twice.");
        }
        return methods;
    }

    /// <summary>--metrics alone is every metric; --metrics=drop,deletion names some; --metrics=false none.</summary>
    static FaithfulnessMetrics ParseMetrics(Arguments args)
    {
        if (!args.Present("metrics"))
        {
            return FaithfulnessMetrics.None;
        }
        if (args.Option("metrics") is not { } names)
        {
            return FaithfulnessMetrics.All;
        }
        if (names.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return FaithfulnessMetrics.None;
        }
        if (!FaithfulnessMetricNames.TryParse(names, out var metrics, out var unknown) || metrics == FaithfulnessMetrics.None)
        {
            throw new UsageException($"--metrics lists {(unknown is null ? "no metric" : $"'{unknown}', not a metric")}; "
                                     + $"it takes any of {string.Join(", ", FaithfulnessMetricNames.Names)}, or all.");
        }
        return metrics;
    }

    static int InRange(Arguments args, string name, int fallback, int min, int max) =>
        args.Int(name, fallback) is var value && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} is a whole number from {min} to {max}.");
}
