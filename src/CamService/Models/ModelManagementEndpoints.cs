using System.Text.RegularExpressions;
using CamService.Access;
using CamService.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// PUT /models/{id}, POST /models/{id}/reload and DELETE /models/{id}: the models folder changed over HTTP, for
/// pipelines that push models, as TorchServe's management API does. They change the folder itself (the file
/// {id}.onnx), so the service and its folder never disagree; an upload is loaded and warmed up from a hidden
/// staging folder and moved in only once it serves, so a model that fails never replaces one that works. Off
/// unless Models:Management:Enabled, and under the access rules of the write API (<see cref="AccessExtensions.WithClientAccess"/>).
/// </summary>
public static partial class ModelManagementEndpoints
{
    const string Staging = ".uploads";

    public static IEndpointRouteBuilder MapModelManagement(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/models").WithTags("Models");
        models.MapPut("/{id}", Put)
            .WithName("PutModel")
            .WithSummary("Adds or replaces a model: the body is its .onnx file; it answers once the model is loaded, warmed up and serving.")
            .WithDescription("Off unless Models:Management:Enabled (403). The body (application/octet-stream) is the model's ONNX file, plain or CAM-ready, " +
                             "at most Models:Management:MaxUploadMegabytes. A model that fails to load is refused with 422 and changes nothing; " +
                             "a replaced model's requests in flight finish on it.")
            .Accepts<Stream>("application/octet-stream")
            .Produces<ModelDescription>(StatusCodes.Status200OK)
            .Produces<ModelDescription>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithClientAccess()
            .DisableAntiforgery();
        models.MapPost("/{id}/reload", Reload)
            .WithName("ReloadModel")
            .WithSummary("Loads the model's file again and swaps it in once it serves.")
            .WithDescription("Off unless Models:Management:Enabled (403). A file that fails to load is refused with 422; the model loaded before serves on.")
            .Produces<ModelDescription>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithClientAccess()
            .DisableAntiforgery();
        models.MapDelete("/{id}", Delete)
            .WithName("DeleteModel")
            .WithSummary("Removes a model: its file is deleted and it is no longer offered; its requests in flight finish.")
            .WithDescription("Off unless Models:Management:Enabled (403).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithClientAccess()
            .DisableAntiforgery();
        return app;
    }

    static async Task<Results<Ok<ModelDescription>, Created<ModelDescription>>> Put(string id, HttpRequest request, ModelRegistry registry, ModelFolder folder,
        IOptions<ModelsOptions> options, CancellationToken cancellationToken)
    {
        CheckEnabled(options.Value);
        CheckId(id);
        var staging = Stage(registry.Directory);
        try
        {
            var staged = Path.Combine(staging, $"{id}.onnx");
            await ReceiveAsync(request, staged, options.Value.Management.MaxUploadMegabytes, cancellationToken);
            var (entry, created) = await folder.InstallAsync(id, staged, cancellationToken);
            var description = ModelDescription.Of(Served(entry));
            return created ? TypedResults.Created($"/models/{id}", description) : TypedResults.Ok(description);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    static async Task<Ok<ModelDescription>> Reload(string id, ModelFolder folder, ModelRegistry registry, IOptions<ModelsOptions> options,
        CancellationToken cancellationToken)
    {
        CheckEnabled(options.Value);
        Served(await folder.ReloadAsync(id, cancellationToken));
        return TypedResults.Ok(ModelDescription.Of(registry.Known(id)));
    }

    static async Task<NoContent> Delete(string id, ModelFolder folder, IOptions<ModelsOptions> options, CancellationToken cancellationToken)
    {
        CheckEnabled(options.Value);
        await folder.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>A new staging folder in the models folder (the same file system, so the move into place is a rename); 409 where it cannot be written.</summary>
    static string Stage(string directory)
    {
        var staging = Path.Combine(directory, Staging, Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(staging);
            return staging;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RequestException(StatusCodes.Status409Conflict, "Models folder not writable",
                "The models folder cannot be written here (a read-only volume?): change the models where the volume is written.");
        }
    }

    /// <summary>The body written to <paramref name="path"/>: 413 when it is longer than the limit (declared or counted), 400 when empty.</summary>
    static async Task ReceiveAsync(HttpRequest request, string path, int maxMegabytes, CancellationToken cancellationToken)
    {
        var limit = maxMegabytes * 1024L * 1024;
        var tooLarge = new RequestException(StatusCodes.Status413PayloadTooLarge, "Model too large",
            $"The model is larger than {maxMegabytes} MB (Models:Management:MaxUploadMegabytes).");
        if (request.ContentLength > limit)
        {
            throw tooLarge;
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit + 1;
        }
        long total = 0;
        await using (var file = File.Create(path))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    throw tooLarge;
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        if (total == 0)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Invalid request", "The body is empty: send the model's .onnx file as the body.");
        }
    }

    /// <summary>The entry, when its model loaded; a 422 with the loader's reason otherwise.</summary>
    static ModelEntry Served(ModelEntry candidate) => candidate.Status == ModelStatus.Ready
        ? candidate
        : throw new RequestException(StatusCodes.Status422UnprocessableEntity, "Model failed to load",
            $"Model '{candidate.Id}' failed to load: {candidate.Error}. Nothing was changed.");

    static void CheckEnabled(ModelsOptions options)
    {
        if (!options.Management.Enabled)
        {
            throw new RequestException(StatusCodes.Status403Forbidden, "Model management is off",
                "Adding, replacing and removing models over HTTP is off (Models:Management:Enabled); change the models folder instead.");
        }
    }

    /// <summary>An id is a file name: letters, digits, '-', '_' and '.', not starting with '.', so that it never leaves the models folder.</summary>
    static void CheckId(string id)
    {
        if (!Id().IsMatch(id))
        {
            throw RequestException.BadField("id",
                $"'{RequestException.EchoedName(id)}' is not a model id: 1 to 100 letters, digits, '-', '_' and '.', starting with a letter or digit.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z")]
    private static partial Regex Id();
}
