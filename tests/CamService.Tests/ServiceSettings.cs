using System.Globalization;
using System.Reflection;
using CamService.Access;
using CamService.Cam;
using CamService.Execution;
using CamService.Metrics;
using CamService.Models;
using CamService.Traffic;
using Microsoft.Extensions.Configuration;

namespace CamService.Tests;

/// <summary>The settings the service reads, for deployment files that pass them as Section__Key variables.</summary>
public static class ServiceSettings
{
    /// <summary>The options the service binds, by configuration section.</summary>
    static readonly Dictionary<string, Type> Sections = new()
    {
        [ModelsOptions.Section] = typeof(ModelsOptions),
        [InferenceOptions.Section] = typeof(InferenceOptions),
        [CamOptions.Section] = typeof(CamOptions),
        [ShutdownOptions.Section] = typeof(ShutdownOptions),
        [AccessOptions.Section] = typeof(AccessOptions),
        [MetricsOptions.Section] = typeof(MetricsOptions),
    };

    /// <summary>Asserts that Section:Key is a setting the service reads and that the value binds to it unchanged.</summary>
    public static void AssertBinds(string section, string key, string value)
    {
        Assert.True(Sections.TryGetValue(section, out var type), $"'{section}__{key}' sets a section the service does not read.");
        var property = type.GetProperty(key, BindingFlags.Public | BindingFlags.Instance);
        Assert.True(property is not null, $"'{section}__{key}': {type.Name} has no property {key}.");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new($"{section}:{key}", value)]).Build();
        var bound = configuration.GetSection(section).Get(type, o => o.ErrorOnUnknownConfiguration = true);
        Assert.NotNull(bound);
        Assert.Equal(value, Convert.ToString(property!.GetValue(bound), CultureInfo.InvariantCulture), ignoreCase: true);
    }
}
