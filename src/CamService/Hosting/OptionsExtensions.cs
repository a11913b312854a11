namespace CamService.Hosting;

public static class OptionsExtensions
{
    /// <summary>Binds a configuration section and checks its data annotations at start-up, not at first use.</summary>
    public static IServiceCollection AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
    {
        services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
