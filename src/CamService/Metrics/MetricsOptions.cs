using System.ComponentModel.DataAnnotations;

namespace CamService.Metrics;

public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// A port of its own for GET /metrics: when set, /metrics answers only on it, and it answers nothing else, so a
    /// cluster can expose the API's port alone and let only its monitoring reach this one. The service must also
    /// listen on it (ASPNETCORE_HTTP_PORTS=8080;9090). Unset, /metrics is on the API's port.
    /// </summary>
    [Range(1, 65535)]
    public int? Port { get; set; }
}
