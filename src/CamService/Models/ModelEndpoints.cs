using CamService.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CamService.Models;

/// <summary>GET /models, /models/{id} and /models/{id}/labels, and the management API (<see cref="ModelManagementEndpoints"/>).</summary>
public static class ModelEndpoints
{
    public static IServiceCollection AddModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ModelsOptions>(configuration, ModelsOptions.Section);
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelPreparer>();
        services.AddSingleton<ModelLoader>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelLoader>());
        services.AddSingleton<ModelFolder>();
        services.AddSingleton<ModelWatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelWatcher>());
        services.AddSingleton<ThreadRefinement>();
        services.AddHostedService(provider => provider.GetRequiredService<ThreadRefinement>());
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
            .WithSummary("One model's facts and status.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{id}/labels", Labels)
            .WithName("GetModelLabels")
            .WithSummary("The model's class labels, by class index.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapModelManagement();
        return app;
    }

    static Ok<ModelDescription[]> List(ModelRegistry registry) =>
        TypedResults.Ok(registry.Entries.Select(ModelDescription.Of).ToArray());

    static Ok<ModelDescription> Get(string id, ModelRegistry registry) =>
        TypedResults.Ok(ModelDescription.Of(registry.Known(id)));

    static Ok<string[]> Labels(string id, ModelRegistry registry)
    {
        var model = registry.Known(id).Ready();
        var labels = model.Labels?.ToArray() ?? Enumerable.Range(0, model.NumClasses).Select(i => $"class {i}").ToArray();
        return TypedResults.Ok(labels);
    }
}
