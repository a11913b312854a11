using Microsoft.AspNetCore.Http.HttpResults;

namespace CamService.Models;

/// <summary>GET /models, /models/{id} and /models/{id}/labels.</summary>
public static class ModelEndpoints
{
    public static IServiceCollection AddModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModelsOptions>()
            .Bind(configuration.GetSection(ModelsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelPreparer>();
        services.AddHostedService<ModelLoader>();
        return services;
    }

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/models").WithTags("Models");
        models.MapGet("/", List)
            .WithName("ListModels")
            .WithSummary("Every model of the models folder: facts, weights, device, status and measured latency.");
        models.MapGet("/{id}", Get)
            .WithName("GetModel")
            .WithSummary("One model's facts and status.");
        models.MapGet("/{id}/labels", Labels)
            .WithName("GetModelLabels")
            .WithSummary("The model's class labels, by class index.");
        return app;
    }

    static Ok<ModelDescription[]> List(ModelRegistry registry) =>
        TypedResults.Ok(registry.Entries.Select(ModelDescription.Of).ToArray());

    static Results<Ok<ModelDescription>, ProblemHttpResult> Get(string id, ModelRegistry registry) =>
        registry.Find(id) is { } entry
            ? TypedResults.Ok(ModelDescription.Of(entry))
            : UnknownModel(id, registry);

    static Results<Ok<string[]>, ProblemHttpResult> Labels(string id, ModelRegistry registry)
    {
        if (registry.Find(id) is not { } entry)
        {
            return UnknownModel(id, registry);
        }
        if (entry.Model is not { } model)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Model not ready",
                detail: $"Model '{id}' is {entry.Status.ToString().ToLowerInvariant()}{(entry.Error is null ? "" : $": {entry.Error}")}.");
        }
        var labels = model.Labels?.ToArray() ?? Enumerable.Range(0, model.NumClasses).Select(i => $"class {i}").ToArray();
        return TypedResults.Ok(labels);
    }

    internal static ProblemHttpResult UnknownModel(string id, ModelRegistry registry) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown model",
            detail: $"There is no model '{id}'. Models: {string.Join(", ", registry.Entries.Select(e => e.Id))}.");
}
