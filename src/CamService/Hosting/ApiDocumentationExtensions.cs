using System.Reflection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CamService.Hosting;

public static class ApiDocumentationExtensions
{
    /// <summary>The OpenAPI document (request and answer types from the endpoints' metadata and XML comments).</summary>
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ApiDocumentationOptions>(configuration, ApiDocumentationOptions.Section);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "CamService",
                Version = "v1",
                Description = "Class activation maps of image classifiers (Grad-CAM and its kin), several architectures and methods side by side, in ONNX Runtime.",
            });
            options.OperationFilter<CamOperationFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                options.IncludeXmlComments(xml);
            }
        });
        // Where generated clients send requests (OpenApi:Servers); by default the relative "/", the host that
        // served the document, which stays true behind any proxy that serves the API at its root.
        services.AddOptions<SwaggerGenOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            foreach (var server in configuration.GetSection("OpenApi:Servers").Get<string[]>() is { Length: > 0 } servers ? servers : ["/"])
            {
                options.AddServer(new OpenApiServer { Url = server });
            }
        });
        return services;
    }

    /// <summary>/swagger (UI) and /swagger/v1/swagger.json, unless Api:Swagger is false.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ApiDocumentationOptions>>().Value.Swagger)
        {
            return app;
        }
        app.UseSwagger();
        app.UseSwaggerUI(options => options.DocumentTitle = "CamService API");
        return app;
    }
}
