using System.Diagnostics.Metrics;
using CamService.Inference.Runtime;
using CamService.Models;
using CamService.Traffic;

namespace CamService.Metrics;

/// <summary>
/// The service's own instruments, on the meter "CamService" (System.Diagnostics.Metrics): the code that
/// records into them knows nothing of Prometheus. Created once per host through its IMeterFactory.
/// </summary>
public sealed class CamMetrics
{
    public const string MeterName = "CamService";

    /// <summary>
    /// Buckets, in seconds, for every latency the service measures: a small model's run takes a few
    /// milliseconds, a 12 MP request a few seconds, and the default deadline is 30 s. ASP.NET Core's
    /// own advice stops at 10 s, and 100–300 ms, where a request on the CPU usually lands, gets finer steps.
    /// </summary>
    public static readonly double[] LatencyBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30];

    readonly Histogram<double> modelRun;
    readonly Counter<long> refused;

    public CamMetrics(IMeterFactory meters, ModelRegistry registry, CoreScheduler cores, ExplainAdmission admission, UploadBudget uploads)
    {
        var meter = meters.Create(MeterName);
        modelRun = meter.CreateHistogram("camservice.model.run.duration", "s",
            "One model's ONNX Runtime run in an explanation (logits, activations and gradients), by model and by whether it ran on its under-load session; the warm-up at start-up counts too.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        refused = meter.CreateCounter<long>("camservice.requests.refused", "{request}",
            "Explanations the service turned away: busy (503, no slot or queue place), shutting_down (503), deadline (504, stopped at Cam:RequestTimeoutSeconds), " +
            "uploads_full (503, no room in Cam:Upload:MaxBytesInFlight), upload_too_slow (408, past Cam:Upload:TimeoutSeconds or below Cam:Upload:MinBytesPerSecond).");
        meter.CreateObservableUpDownCounter("camservice.explanations.running", () => admission.Running, "{request}",
            "Explanations holding a slot (at most Cam:MaxConcurrentRequests).");
        meter.CreateObservableUpDownCounter("camservice.explanations.queued", () => admission.Queued, "{request}",
            "Explanations read and checked, waiting for a slot (at most Cam:QueueLimit).");
        meter.CreateObservableGauge("camservice.explanations.predicted_wait", () => admission.PredictedWaitSeconds, "s",
            "The wait for a slot an explanation asking now is predicted: queued ahead × service time ÷ slots; past Cam:MaxQueueWaitSeconds it is refused. The signal to scale out on.");
        meter.CreateObservableGauge("camservice.explanations.service_time", () => admission.ServiceTimeSeconds, "s",
            "The moving estimate of how long an explanation holds its slot, which the predicted waits are made from.");
        meter.CreateObservableUpDownCounter("camservice.uploads.reserved", () => uploads.ReservedBytes, "By",
            "Bytes of request bodies reserved at once: uploading, queued or being explained (at most Cam:Upload:MaxBytesInFlight).");
        meter.CreateObservableUpDownCounter("camservice.uploads.requests", () => uploads.Requests, "{request}",
            "Requests under admission control holding a share of Cam:Upload:MaxBytesInFlight: uploading, queued or being explained.");
        meter.CreateObservableUpDownCounter("camservice.cores.waiting", () => cores.Waiting, "{work}",
            "Pieces of compute (a decode, a model run, a picture) admitted and waiting for cores in the CoreScheduler.");
        meter.CreateObservableUpDownCounter("camservice.models", () => ModelsByStatus(registry), "{model}",
            "Models of the models folder by status: loading, ready, failed.");
    }

    /// <summary>Records one completed run; the tags are a model id the registry holds and constant strings, so nothing is allocated.</summary>
    public void ModelRan(string model, bool underLoad, TimeSpan elapsed) =>
        modelRun.Record(elapsed.TotalSeconds, new("model", model), new("under_load", underLoad ? "true" : "false"));

    public void Refused(Refusal reason) => refused.Add(1, new KeyValuePair<string, object?>("reason", reason switch
    {
        Refusal.Busy => "busy",
        Refusal.ShuttingDown => "shutting_down",
        Refusal.Deadline => "deadline",
        Refusal.UploadsFull => "uploads_full",
        Refusal.UploadTooSlow => "upload_too_slow",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    }));

    /// <summary>Every status, none left out at zero, so that a query for failed models finds 0 rather than nothing.</summary>
    static IEnumerable<Measurement<int>> ModelsByStatus(ModelRegistry registry) =>
        Enum.GetValues<ModelStatus>().Select(status => new Measurement<int>(
            registry.Entries.Count(e => e.Status == status),
            new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant())));
}
