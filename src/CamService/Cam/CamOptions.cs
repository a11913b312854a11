using System.ComponentModel.DataAnnotations;
using CamService.Imaging;
using CamService.Inference.Methods;

namespace CamService.Cam;

/// <summary>Configuration section "Cam": the limits of POST /cam.</summary>
public sealed class CamOptions : IValidatableObject
{
    public const string Section = "Cam";

    /// <summary>Largest request body in bytes (default 20 MB); larger requests get 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Largest image in pixels (default 40 MP), read from the image header before decoding; larger images get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Largest number of top predictions a request may ask for.</summary>
    [Range(1, 100_000)]
    public int MaxTopK { get; set; } = 1000;

    /// <summary>
    /// Largest number of maps one request may ask for: models × methods × targets; beyond, 400. Each map is one
    /// more picture to draw and send, and a many-forwards method's map holds its cores for seconds. The default, 64,
    /// leaves room for three models by all eight methods for two classes (48).
    /// </summary>
    [Range(1, 10_000)]
    public int MaxMapsPerRequest { get; set; } = 64;

    /// <summary>
    /// Score-CAM's channels with a forward pass each when a request does not say (scoreCamChannels): those
    /// most activated; 0 = all, the method as published (the engine's and the CLI's default). The service
    /// takes the 256 most activated because all channels of a large model outlast the request's deadline on a
    /// small machine, and 256 keep the map where a top N keeps it at all: resnet50's 2048 take 48 s on 2 cores,
    /// its top 256 take 6 s for a map that correlates at 0.99 with the full one (bench/methods.sh;
    /// docs/performance.md has the figures, docs/methods-and-metrics.md where the shortcut fails).
    /// </summary>
    [Range(0, 1_000_000)]
    public int DefaultScoreCamChannels { get; set; } = 256;

    /// <summary>
    /// Most points a request's deletion and insertion curves may have (metricSteps; default 100): each point is a
    /// forward pass of the model per map, and the map's cores stay busy for all of them.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxMetricSteps { get; set; } = 100;

    /// <summary>
    /// Explanations worked on at once; 0 (default) means one per core. Their decoding, model runs and
    /// drawing wait for cores (Inference:Cores), so more at once only adds waiting and lowers throughput
    /// (bench/load.sh with --Cam:MaxConcurrentRequests; docs/performance.md).
    /// </summary>
    [Range(0, 4096)]
    public int MaxConcurrentRequests { get; set; }

    /// <summary>Cam:QueueLimit's default.</summary>
    public const int DefaultQueueLimit = 64;

    /// <summary>
    /// Most explanations waiting for a slot at once (default 64), whatever their predicted wait; beyond, 503 at
    /// once. Cam:MaxQueueWaitSeconds decides who waits; this cap bounds what waiting costs, as each queued request
    /// holds its body (within Cam:Upload:MaxBytesInFlight) and its connection. 0 turns the queue off.
    /// </summary>
    [Range(0, 100_000)]
    public int QueueLimit { get; set; } = DefaultQueueLimit;

    /// <summary>
    /// Refusals of a full service (503 Busy) answered at once, per second (default 100, a second's worth at once);
    /// beyond this rate each waits its turn, 1/rate apart and at most Cam:MaxRefusalHoldSeconds, and is then decided
    /// again: admitted if a slot or queue place has opened, refused otherwise. Clients that ignore Retry-After
    /// then cost connections, not cores. 100 a second is a few percent of a core; 0 answers every refusal at once.
    /// </summary>
    [Range(0, 1_000_000)]
    public double PacedRefusalsPerSecond { get; set; } = 100;

    /// <summary>The longest a paced refusal waits for its turn (default 1 s); 0 answers every refusal at once.</summary>
    [Range(0, 60)]
    public double MaxRefusalHoldSeconds { get; set; } = 1;

    /// <summary>The Retry-After, in seconds, of a 503 for a full upload budget or a shutdown (a busy refusal's is its predicted wait).</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// Time budget of one request, queueing and upload included (default 30 s); past it the model
    /// run is stopped and the client gets 504. Fractions of a second are allowed.
    /// </summary>
    [Range(0.001, 86_400)]
    public double RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// The longest predicted wait for a slot a request is queued for (default 2 s); a longer one is refused at
    /// once with 503 and a Retry-After of that prediction. The prediction is the requests ahead × the measured
    /// time a slot is held ÷ the slots. 2 s lets a burst or a batch job several times the slots wait a few
    /// hundred milliseconds instead of being refused, while a wait longer than a few answers is better spent by
    /// the client on another pod (or on a new one the autoscaler starts), and leaves most of
    /// Cam:RequestTimeoutSeconds for the explanation itself even when the prediction is off by several times.
    /// 0 queues nothing. A request deadline shorter than twice this lowers it to half the deadline
    /// (<see cref="ResolvedMaxQueueWaitSeconds"/>), so that a queued request keeps time for its explanation.
    /// </summary>
    [Range(0, 3600)]
    public double MaxQueueWaitSeconds { get; set; } = 2;

    /// <summary>The wait budget in force: <see cref="MaxQueueWaitSeconds"/>, at most half of <see cref="RequestTimeoutSeconds"/>.</summary>
    public double ResolvedMaxQueueWaitSeconds => Math.Min(MaxQueueWaitSeconds, RequestTimeoutSeconds / 2);

    /// <summary>
    /// The long side of the rendered pictures when a request does not say (maxSize); 0 means the image's own
    /// size. Default 1280, about a screen's width: pictures at a phone photo's full size would make most of the
    /// answer's bytes and of its time, for detail no page shows.
    /// </summary>
    [Range(0, 100_000)]
    public int DefaultMaxSize { get; set; } = 1280;

    /// <summary>
    /// The largest long side, in pixels, a request may have its pictures drawn at (maxSize; default 4096, a 12 MP
    /// phone photo's 4032 at full size): a larger maxSize gets 400, and 0 (the image's size) draws a larger image at
    /// this size. Each picture is one more full-size buffer while it is drawn (3 bytes a pixel for a JPEG or WebP
    /// overlay), and its encoding is held until the answer is written.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxRenderSize { get; set; } = 4096;

    /// <summary>
    /// Most pixels one request of POST /cam draws at the rendered size: every map's heatmap and overlay (as outputs
    /// asks), and for agreement, per method and target, every model's map projected and the consensus and disagreement
    /// drawn from them; beyond, 400 naming the fields that shrink it. Default 32 M: 13 maps' heatmaps and overlays
    /// at 1280×960, 26 overlays, or two pictures at the 4096 px ceiling. An answer holds at most about 4 bytes of JSON
    /// per pixel (a PNG of noise is 3 bytes per pixel, base64 adds a third), and the pictures and the JSON are both
    /// held while it is written, so the cap is what keeps the worst requests within the pod's memory: four at once
    /// stay within 2.58 GB with the four default models on 2 cores, under the pod's 3.22 GB (bench/pod-sizing.sh;
    /// docs/memory.md).
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxOutputPixels { get; set; } = 32_000_000;

    /// <summary>
    /// The longest value of a field other than the image, in bytes as sent (default 4096: 64 labels of 60
    /// characters); longer gets 400 while the body is read, before the value is split or copied. A list field
    /// (models, target, method, metrics) also has at most Cam:MaxMapsPerRequest items, counted before it is split.
    /// </summary>
    [Range(64, 1_000_000)]
    public int MaxFieldLength { get; set; } = 4096;

    /// <summary>
    /// Decode JPEG uploads with libjpeg-turbo at the smallest size the request can use (see
    /// <see cref="ImageLimits.NativeJpeg"/>); off decodes every upload in managed code at full size.
    /// </summary>
    public bool NativeJpeg { get; set; } = true;

    /// <summary>
    /// The overlay's encoding when a request does not say (format): auto (default), png, jpeg or webp.
    /// auto encodes it like the upload: PNG for a PNG, JPEG for a JPEG or WebP photo, because a photo's overlay
    /// is far smaller as JPEG and faster to encode — at 1280 px 0.16 MB against 2.5 MB as PNG
    /// (bench/CamService.Imaging.Benchmarks; docs/performance.md).
    /// </summary>
    [RegularExpression("^(auto|png|jpeg|webp)$", ErrorMessage = "Cam:DefaultFormat is auto, png, jpeg or webp.")]
    public string DefaultFormat { get; set; } = "auto";

    /// <summary>JPEG and WebP quality of overlays, 1–100.</summary>
    [Range(1, 100)]
    public int OverlayQuality { get; set; } = 85;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultMaxSize > MaxRenderSize)
        {
            yield return new ValidationResult($"Cam:DefaultMaxSize ({DefaultMaxSize}) is larger than Cam:MaxRenderSize ({MaxRenderSize}).",
                [nameof(DefaultMaxSize), nameof(MaxRenderSize)]);
        }
    }

    public int ResolvedMaxConcurrentRequests => MaxConcurrentRequests > 0 ? MaxConcurrentRequests : Environment.ProcessorCount;
}
