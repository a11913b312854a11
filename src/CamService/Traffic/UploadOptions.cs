using System.ComponentModel.DataAnnotations;

namespace CamService.Traffic;

/// <summary>
/// Configuration section "Cam:Upload": what an upload may cost before its request asks for an explanation
/// slot. Uploads take no slot (see <see cref="ExplainAdmission"/>), so a slow or stalled client costs the
/// memory of its body, within <see cref="MaxBytesInFlight"/>, and a connection for at most <see cref="TimeoutSeconds"/>.
/// </summary>
public sealed class UploadOptions
{
    public const string Section = "Cam:Upload";

    /// <summary>
    /// Bytes of request bodies held in memory at once, uploads in progress and requests being explained
    /// together (default 64 MiB: sixteen 4 MB phone photos, or three bodies at Cam:MaxBodyBytes). A body is
    /// reserved whole from its Content-Length when it arrives (as it is read when sent chunked); one that does
    /// not fit is refused at once with 503 and Retry-After, like a full queue, rather than made to wait: a
    /// waiting upload would hold its connection and its deadline with nothing to show, as the slow clients this
    /// budget is against do. At least Cam:MaxBodyBytes, so that any body the service accepts fits alone.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxBytesInFlight { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Kestrel's minimum data rate of a request body, in bytes per second, averaged after
    /// <see cref="GraceSeconds"/> (default 240, Kestrel's own); slower, the request ends with 408. 0 turns it off.
    /// </summary>
    [Range(0, 1_000_000_000)]
    public double MinBytesPerSecond { get; set; } = 240;

    /// <summary>Seconds an upload may stay below <see cref="MinBytesPerSecond"/> before it is measured (default 5; Kestrel needs more than 1).</summary>
    [Range(1.5, 3600)]
    public double GraceSeconds { get; set; } = 5;

    /// <summary>
    /// The whole body must have arrived within this many seconds of the request (default 20, within the request's
    /// 30 s budget, so that a slow upload ends with 408 and leaves the rest of Cam:RequestTimeoutSeconds to the
    /// explanation); past it, 408. Fractions of a second are allowed. At or above Cam:RequestTimeoutSeconds it
    /// never fires: the request's deadline (504) comes first.
    /// </summary>
    [Range(0.001, 86_400)]
    public double TimeoutSeconds { get; set; } = 20;
}
