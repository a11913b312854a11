using System.Reflection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

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
