using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>Where a model's weights came from; random weights must be shown as untrained.</summary>
public enum WeightsKind
{
    Pretrained,
    Random,
    Custom,
}

/// <summary>What a model's metadata says about it: provenance, preprocessing, labels and CAM layers.</summary>
public sealed record CamModelInfo
{
    public string? Version { get; init; }

    public string? Producer { get; init; }

    public string? Architecture { get; init; }

    public string? Family { get; init; }

    public WeightsKind Weights { get; init; } = WeightsKind.Custom;

    public string? WeightsSource { get; init; }

    /// <summary>The published weights' name, e.g. ViT_B_16_Weights.IMAGENET1K_V1 (cam.weights_name; pretrained exports only).</summary>
    public string? WeightsName { get; init; }

    /// <summary>Published ImageNet-1K top-1 accuracy in percent (cam.accuracy_top1); only for pretrained weights, whose it is.</summary>
    public double? AccuracyTop1 { get; init; }

    /// <summary>Published ImageNet-1K top-5 accuracy in percent (cam.accuracy_top5).</summary>
    public double? AccuracyTop5 { get; init; }

    public string? TargetLayer { get; init; }

    public TensorLayout? TargetLayout { get; init; }

    public string? Logits { get; init; }

    public string? Input { get; init; }

    public Preprocessing? Preprocessing { get; init; }

    public IReadOnlyList<string>? Labels { get; init; }

    public string? LabelsFile { get; init; }

    /// <summary>C, the classes the model scores (cam.num_classes; written by prepare).</summary>
    public int? NumClasses { get; init; }

    /// <summary>[K, h, w] of the target layer's activations (cam.activation_shape; written by prepare).</summary>
    public IReadOnlyList<int>? ActivationShape { get; init; }

    /// <summary>Tokens before a token sequence's patches, dropped from the activations (cam.extra_tokens; written by prepare for TOKENS layers).</summary>
    public int? ExtraTokens { get; init; }

    /// <summary>The source model's trainable parameters (cam.parameters; written by export.py).</summary>
    public long? Parameters { get; init; }

    /// <summary>Multiply–accumulates per image in convolutions and matrix products, in billions (cam.gmacs; written by prepare).</summary>
    public double? GigaMacs { get; init; }

    public bool IsCamReady => Version is not null;

    /// <summary>How the target layer becomes the activations, once prepare has recorded their shape.</summary>
    public TargetFolding? Folding => ActivationShape is [var k, var h, var w]
        ? new TargetFolding(TargetLayout ?? TensorLayout.Nchw, k, h, w, ExtraTokens ?? 0)
        : null;

    public static CamModelInfo Read(ModelProto model) =>
        Read(model.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value));

    public static CamModelInfo Read(IReadOnlyDictionary<string, string> metadata)
    {
        string? Get(string key) => metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

        return new CamModelInfo
        {
            Version = Get(MetadataKeys.Version),
            Producer = Get(MetadataKeys.Producer),
            Architecture = Get(MetadataKeys.Architecture),
            Family = Get(MetadataKeys.Family),
            Weights = ParseWeights(Get(MetadataKeys.Weights)),
            WeightsSource = Get(MetadataKeys.WeightsSource),
            WeightsName = Get(MetadataKeys.WeightsName),
            AccuracyTop1 = Get(MetadataKeys.AccuracyTop1) is { } top1 ? ParseNumber<double>(top1, MetadataKeys.AccuracyTop1) : null,
            AccuracyTop5 = Get(MetadataKeys.AccuracyTop5) is { } top5 ? ParseNumber<double>(top5, MetadataKeys.AccuracyTop5) : null,
            TargetLayer = Get(MetadataKeys.TargetLayer),
            TargetLayout = Get(MetadataKeys.TargetLayout) is { } targetLayout ? MetadataNames.Parse<TensorLayout>(targetLayout, MetadataKeys.TargetLayout) : null,
            Logits = Get(MetadataKeys.Logits),
            Input = Get(MetadataKeys.Input),
            Preprocessing = ReadPreprocessing(Get),
            Labels = Get(MetadataKeys.Labels) is { } labels ? ParseLabels(labels) : null,
            LabelsFile = Get(MetadataKeys.LabelsFile),
            NumClasses = Get(MetadataKeys.NumClasses) is { } classes ? ParseNumber<int>(classes, MetadataKeys.NumClasses) : null,
            ActivationShape = Get(MetadataKeys.ActivationShape) is { } shape ? ParseActivationShape(shape) : null,
            ExtraTokens = Get(MetadataKeys.ExtraTokens) is { } extra ? ParseNumber<int>(extra, MetadataKeys.ExtraTokens) : null,
            Parameters = Get(MetadataKeys.Parameters) is { } parameters ? ParseNumber<long>(parameters, MetadataKeys.Parameters) : null,
            GigaMacs = Get(MetadataKeys.GigaMacs) is { } macs ? ParseNumber<double>(macs, MetadataKeys.GigaMacs)
                : Get(MetadataKeys.LegacyGigaFlops) is { } legacy ? ParseNumber<double>(legacy, MetadataKeys.LegacyGigaFlops)
                : null,
        };
    }

    /// <summary>The labels, inline or from the sidecar file named in the metadata (relative to the model).</summary>
    public IReadOnlyList<string>? LoadLabels(string? modelDirectory)
    {
        if (Labels is not null || LabelsFile is null)
        {
            return Labels;
        }
        var path = Path.Combine(modelDirectory ?? ".", LabelsFile);
        return File.Exists(path) ? ReadLabelsFile(path) : throw new FileNotFoundException($"Labels file '{LabelsFile}' is missing.", path);
    }

    /// <summary>Reads labels from a JSON array or a text file with one label per line.</summary>
    public static IReadOnlyList<string> ReadLabelsFile(string path)
    {
        var text = File.ReadAllText(path);
        return text.TrimStart().StartsWith('[')
            ? ParseLabels(text)
            : text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
    }

    /// <summary>Writes every known field into <paramref name="model"/>'s metadata, replacing older values.</summary>
    public void WriteTo(ModelProto model)
    {
        var values = new Dictionary<string, string?>
        {
            [MetadataKeys.Version] = Version,
            [MetadataKeys.Producer] = Producer,
            [MetadataKeys.Architecture] = Architecture,
            [MetadataKeys.Family] = Family,
            [MetadataKeys.Weights] = Weights.ToString().ToLowerInvariant(),
            [MetadataKeys.WeightsSource] = WeightsSource,
            [MetadataKeys.WeightsName] = WeightsName,
            [MetadataKeys.AccuracyTop1] = AccuracyTop1?.ToString("R", CultureInfo.InvariantCulture),
            [MetadataKeys.AccuracyTop5] = AccuracyTop5?.ToString("R", CultureInfo.InvariantCulture),
            [MetadataKeys.TargetLayer] = TargetLayer,
            [MetadataKeys.TargetLayout] = TargetLayout?.ToMetadata(),
            [MetadataKeys.Logits] = Logits,
            [MetadataKeys.Input] = Input,
            [MetadataKeys.Labels] = Labels is null ? null : JsonSerializer.Serialize(Labels),
            [MetadataKeys.LabelsFile] = Labels is null ? LabelsFile : null,
            [MetadataKeys.NumClasses] = NumClasses?.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.ActivationShape] = ActivationShape is null ? null : string.Join(",", ActivationShape),
            [MetadataKeys.ExtraTokens] = ExtraTokens?.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.Parameters] = Parameters?.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.GigaMacs] = GigaMacs?.ToString("G4", CultureInfo.InvariantCulture),
            [MetadataKeys.LegacyGigaFlops] = null,
        };
        if (Preprocessing is { } p)
        {
            values[MetadataKeys.InputSize] = $"{p.Height},{p.Width}";
            values[MetadataKeys.ResizeSize] = p.ResizeSize.ToString(CultureInfo.InvariantCulture);
            values[MetadataKeys.Interpolation] = p.Interpolation.ToMetadata();
            values[MetadataKeys.Mean] = FormatFloats(p.Mean);
            values[MetadataKeys.Std] = FormatFloats(p.Std);
            values[MetadataKeys.ChannelOrder] = p.ChannelOrder.ToMetadata();
            values[MetadataKeys.PixelScale] = FormatScale(p.PixelScale);
            values[MetadataKeys.Layout] = p.Layout.ToMetadata();
        }
        foreach (var (key, value) in values)
        {
            Set(model, key, value);
        }
    }

    /// <summary>Sets (or with null removes) one metadata entry.</summary>
    public static void Set(ModelProto model, string key, string? value)
    {
        var existing = model.MetadataProps.Where(p => p.Key == key).ToList();
        foreach (var entry in existing)
        {
            model.MetadataProps.Remove(entry);
        }
        if (value is not null)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
    }

    public static float[] ParseFloats(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new FormatException($"{what} '{text}' is not a comma-separated list of numbers.");
            }
        }
        return values;
    }

    /// <summary>Parses a pixel scale written as a number or a fraction such as 1/255.</summary>
    public static float ParseScale(string text)
    {
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        var ok = parts.Length switch
        {
            1 => double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var single) ? single : double.NaN,
            2 when double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d != 0 => n / d,
            _ => double.NaN,
        };
        return double.IsNaN(ok) ? throw new FormatException($"Pixel scale '{text}' is not a number or a fraction.") : (float)ok;
    }

    static T ParseNumber<T>(string text, string key) where T : INumberBase<T> =>
        T.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{key} '{text}' is not a number of the kind it holds.");

    static int[] ParseActivationShape(string text)
    {
        var dims = text.Split(',').Select(d => ParseNumber<int>(d, MetadataKeys.ActivationShape)).ToArray();
        return dims.Length == 3 && dims.All(d => d > 0)
            ? dims
            : throw new FormatException($"{MetadataKeys.ActivationShape} '{text}' is not 'channels,height,width'.");
    }

    static string FormatScale(float scale)
    {
        var inverse = 1.0 / scale;
        return Math.Abs(inverse - Math.Round(inverse)) < 1e-3 && inverse > 1
            ? $"1/{Math.Round(inverse).ToString(CultureInfo.InvariantCulture)}"
            : scale.ToString("R", CultureInfo.InvariantCulture);
    }

    static string FormatFloats(float[] values) =>
        string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    static WeightsKind ParseWeights(string? text) => text?.ToLowerInvariant() switch
    {
        "pretrained" => WeightsKind.Pretrained,
        "random" or "untrained" => WeightsKind.Random,
        _ => WeightsKind.Custom,
    };

    static List<string> ParseLabels(string json) =>
        JsonSerializer.Deserialize<List<string>>(json) ?? throw new FormatException("Labels are not a JSON array of strings.");

    static Preprocessing? ReadPreprocessing(Func<string, string?> get)
    {
        if (get(MetadataKeys.InputSize) is not { } size)
        {
            return null;
        }
        var dims = ParseFloats(size, "Input size");
        if (dims.Length != 2)
        {
            throw new FormatException($"Input size '{size}' is not 'height,width'.");
        }
        var defaults = Preprocessing.ImageNet((int)dims[0], (int)dims[1]);
        return defaults with
        {
            ResizeSize = get(MetadataKeys.ResizeSize) is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : defaults.ResizeSize,
            Interpolation = get(MetadataKeys.Interpolation) is { } i ? MetadataNames.Parse<Interpolation>(i, MetadataKeys.Interpolation) : defaults.Interpolation,
            Mean = get(MetadataKeys.Mean) is { } m ? ParseFloats(m, "Mean") : defaults.Mean,
            Std = get(MetadataKeys.Std) is { } s ? ParseFloats(s, "Std") : defaults.Std,
            ChannelOrder = get(MetadataKeys.ChannelOrder) is { } c ? MetadataNames.Parse<ChannelOrder>(c, MetadataKeys.ChannelOrder) : defaults.ChannelOrder,
            PixelScale = get(MetadataKeys.PixelScale) is { } p ? ParseScale(p) : defaults.PixelScale,
            Layout = get(MetadataKeys.Layout) is { } l ? ImageLayout(l) : defaults.Layout,
        };
    }

    /// <summary>An image's layout: NCHW or NHWC (a token sequence is a target layer's layout, never an image's).</summary>
    static TensorLayout ImageLayout(string text) =>
        MetadataNames.TryParse<TensorLayout>(text, out var layout) && layout != TensorLayout.Tokens
            ? layout
            : throw new FormatException($"{MetadataKeys.Layout} is '{text}', which is not NCHW or NHWC.");
}
