using CamService.Hosting;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace CamService.Execution;

public static class InferenceExtensions
{
    /// <summary>Inference options (validated at start-up), the CAM methods, the thread settings per model and the scheduler of the cores.</summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<InferenceOptions>(configuration, InferenceOptions.Section);
        services.AddSingleton(CamMethods.Default);
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<InferenceOptions>>().Value.ToSettings());
        services.AddSingleton(provider => new CoreScheduler(provider.GetRequiredService<IOptions<InferenceOptions>>().Value.ResolvedCores));
        services.AddSingleton<ThreadSelection>();
        return services;
    }
}
