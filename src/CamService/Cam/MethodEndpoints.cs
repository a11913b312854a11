using CamService.Inference.Methods;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CamService.Cam;

/// <summary>GET /methods: the CAM methods POST /cam's 'method' takes, from the registry.</summary>
public static class MethodEndpoints
{
    public static IEndpointRouteBuilder MapCamMethods(this IEndpointRouteBuilder app)
    {
        app.MapGet("/methods", List)
            .WithName("ListMethods")
            .WithTags("CAM")
            .WithSummary("Every CAM method: its name for 'method', what its map is, what it costs and whether it uses gradients.");
        return app;
    }

    static Ok<MethodDescription[]> List(CamMethods methods) =>
        TypedResults.Ok(methods.All.Select(MethodDescription.Of).ToArray());
}

/// <summary>One CAM method as GET /methods lists it.</summary>
/// <param name="Name">The name POST /cam's 'method' takes, as pytorch-grad-cam names the method.</param>
/// <param name="Description">One line: what the map is, and its paper.</param>
/// <param name="Cost">What a map costs beyond the one model run: one-pass (a formula over activations and gradients),
/// head-only (batched runs of the head, target layer to logits) or many-forwards (batched forward passes of the whole model: seconds per image on a CPU).</param>
/// <param name="UsesGradients">Whether the map reads the gradients of the target's score.</param>
public sealed record MethodDescription(string Name, string Description, string Cost, bool UsesGradients)
{
    public static MethodDescription Of(CamMethod method) => new(method.Name, method.Description, CostName(method.Cost), method.UsesGradients);

    static string CostName(CostClass cost) => cost switch
    {
        CostClass.OnePass => "one-pass",
        CostClass.HeadOnly => "head-only",
        CostClass.ManyForwards => "many-forwards",
        _ => throw new ArgumentOutOfRangeException(nameof(cost), cost, null),
    };
}
