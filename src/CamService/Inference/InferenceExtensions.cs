using CamService.Hosting;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace CamService.Inference;

public static class InferenceExtensions
{
    /// <summary>Inference options (validated at start-up) and the registered CAM methods.</summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<InferenceOptions>(configuration, InferenceOptions.Section);
        services.AddSingleton(CamMethods.Default);
        services.AddSingleton(provider =>
        {
            // The shared thread pool must exist before the first session of the process.
            var options = provider.GetRequiredService<IOptions<InferenceOptions>>().Value;
            var settings = options.ToSettings();
            if (options.SharedThreadPool && !OrtEnvironment.TryConfigureSharedThreadPool(options.Threads, options.AllowSpinning))
            {
                provider.GetRequiredService<ILogger<InferenceOptions>>().LogWarning(
                    "ONNX Runtime started before its shared thread pool could be configured; each model gets its own pool");
                settings = settings with { SharedThreadPool = false };
            }
            return settings;
        });
        return services;
    }
}
