using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CamService.Access;

/// <summary>
/// The access rules in the OpenAPI document, so that a generated client (and Swagger UI's Authorize button)
/// knows how to authenticate: both schemes declared, the protected operations naming them (and, while keys
/// are off, that no key is needed either), every other operation marked public, and the 401 and 429
/// answers listed only where this configuration can give them.
/// </summary>
public sealed class AccessOperationFilter(IOptions<AccessOptions> options) : IOperationFilter
{
    public const string ApiKeyScheme = "ApiKey";

    public const string BearerScheme = "Bearer";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ClientAccess>().Any())
        {
            operation.Security = [];
            return;
        }
        var access = options.Value;
        operation.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
        ];
        if (!access.Enabled)
        {
            // The empty requirement: no credentials at all is also accepted.
            operation.Security.Add(new OpenApiSecurityRequirement());
            operation.Responses?.Remove("401");
        }
        if (access.RequestsPerMinute <= 0)
        {
            operation.Responses?.Remove("429");
        }
    }
}

public static class AccessDocumentationExtensions
{
    /// <summary>Declares the API key and bearer schemes, and applies them per operation.</summary>
    public static IServiceCollection AddAccessDocumentation(this IServiceCollection services)
    {
        services.ConfigureSwaggerGen(Document);
        return services;
    }

    static void Document(SwaggerGenOptions swagger)
    {
        swagger.AddSecurityDefinition(AccessOperationFilter.ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyHandler.HeaderName,
            Description = "An API key of the service (`camservice key NAME` makes one and the SHA-256 the service is configured with).",
        });
        swagger.AddSecurityDefinition(AccessOperationFilter.BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key as a bearer token, or a JWT from the issuer the service trusts (Auth:Jwt).",
        });
        swagger.OperationFilter<AccessOperationFilter>();
    }
}
