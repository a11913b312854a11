using CamService.Animation;
using CamService.Cam;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CamService.Hosting;

/// <summary>
/// Documents the two request forms of POST /cam and POST /cam/animation and their picture answers. The
/// endpoints read their bodies themselves (to enforce the size limit while reading and to answer 415 as a
/// problem), so no parameter binding describes them.
/// </summary>
public sealed class CamOperationFilter : IOperationFilter
{
    /// <summary>Per operation: its multipart and JSON fields, and the picture types a 200 may be.</summary>
    static readonly Dictionary<string, (Type Form, Type Json, string[] Pictures)> Operations = new()
    {
        ["ExplainImage"] = (typeof(CamFormFields), typeof(CamJsonBody), ["image/png"]),
        ["AnimateImage"] = (typeof(AnimationFormFields), typeof(AnimationJsonBody), [AnimationEndpoints.MediaType]),
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not { } id || !Operations.TryGetValue(id, out var documented))
        {
            return;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "An image and optional fields, as multipart/form-data or as JSON with the image in base64.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new() { Schema = context.SchemaGenerator.GenerateSchema(documented.Form, context.SchemaRepository) },
                ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(documented.Json, context.SchemaRepository) },
            },
        };
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
        {
            foreach (var picture in documented.Pictures)
            {
                content[picture] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
            }
        }
    }
}
