using CamService.Cam;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CamService.Hosting;

/// <summary>
/// Documents POST /cam's two request forms and its PNG answer. The endpoint reads its body itself
/// (to enforce the size limit while reading and to answer 415 as a problem), so no parameter
/// binding describes it.
/// </summary>
public sealed class CamOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId != "ExplainImage")
        {
            return;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "An image and optional fields, as multipart/form-data or as JSON with the image in base64.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new() { Schema = context.SchemaGenerator.GenerateSchema(typeof(CamFormFields), context.SchemaRepository) },
                ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(typeof(CamJsonBody), context.SchemaRepository) },
            },
        };
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
        {
            content["image/png"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
        }
    }
}
