using System.ComponentModel.DataAnnotations;
using System.Net;

namespace CamService.Surface;

/// <summary>
/// The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto the service believes: the client's address
/// (logs, per-address limits) and whether the request came over HTTPS (HSTS). None by default, so a client cannot
/// claim another address or scheme; a request from any other address keeps its own.
/// </summary>
public sealed class ProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>The proxies' addresses, such as 10.0.0.5 or ::1.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR notation, such as 10.0.0.0/8 (a cluster's pod network).</summary>
    public string[] KnownNetworks { get; set; } = [];

    public bool Enabled => KnownProxies.Length > 0 || KnownNetworks.Length > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.", [nameof(KnownProxies)]);
        }
        foreach (var network in KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR notation (such as 10.0.0.0/8).", [nameof(KnownNetworks)]);
        }
    }
}
