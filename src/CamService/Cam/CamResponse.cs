namespace CamService.Cam;

/// <summary>The answer of POST /cam: the image's size after EXIF orientation and one result per model.</summary>
public sealed record CamResponse(ImageSize Image, IReadOnlyList<CamResult> Results);

/// <summary>Width and height in pixels.</summary>
public sealed record ImageSize(int Width, int Height);

/// <summary>One model's explanation of the image.</summary>
/// <param name="Model">The model id.</param>
/// <param name="Untrained">True when the model has random weights: its predictions and map mean nothing.</param>
/// <param name="Predictions">The top-k classes by probability.</param>
/// <param name="Target">The class explained and its score (logit).</param>
/// <param name="Method">The CAM method.</param>
/// <param name="Cam">The raw map at the target layer's resolution, row-major, not normalised.</param>
/// <param name="HeatmapPng">The coloured map at the image's size, transparent outside a crop (base64 PNG).</param>
/// <param name="OverlayPng">The map blended over the image at the requested opacity (base64 PNG).</param>
/// <param name="TimingsMs">Where the time went, in milliseconds.</param>
public sealed record CamResult(
    string Model,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    TargetScore Target,
    string Method,
    CamMap Cam,
    byte[] HeatmapPng,
    byte[] OverlayPng,
    Timings TimingsMs);

/// <summary>A class and its softmax probability.</summary>
public sealed record Prediction(int Index, string Label, float Probability);

/// <summary>The class a map explains and its score before softmax.</summary>
public sealed record TargetScore(int Index, string Label, float Score);

/// <summary>A raw class activation map.</summary>
public sealed record CamMap(int Width, int Height, float[] Data);

/// <summary>Milliseconds per stage of one model's result.</summary>
public sealed record Timings(double Preprocess, double Inference, double Cam, double Render);
