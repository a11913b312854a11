using System.ComponentModel.DataAnnotations;

namespace CamService.Traffic;

/// <summary>Configuration section "Shutdown": how the service leaves on SIGTERM.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>
    /// Seconds between turning unready (and refusing new explanations) and stopping the server, for
    /// load balancers to take the instance out first (default 0: stop at once).
    /// </summary>
    [Range(0, 3600)]
    public double DelaySeconds { get; set; }

    /// <summary>The whole shutdown's budget, the delay included: explanations still running after it are cut (default 30 s).</summary>
    [Range(0.1, 3600)]
    public double TimeoutSeconds { get; set; } = 30;
}
