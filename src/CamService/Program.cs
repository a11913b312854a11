using CamService.Access;
using CamService.Animation;
using CamService.Cam;
using CamService.Execution;
using CamService.Health;
using CamService.Hosting;
using CamService.Metrics;
using CamService.Models;
using CamService.Problems;
using CamService.Surface;
using CamService.Traffic;

// CamService: class activation maps (Grad-CAM and its kin) for several image classifiers side by side, in ONNX Runtime.
if (HealthCheckCommand.IsRequested(args))
{
    return await HealthCheckCommand.RunAsync(args, Console.Error);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});

builder.AddLogging();
builder.Services.AddProblems();
builder.Services.AddInference(builder.Configuration);
builder.Services.AddModels(builder.Configuration);
builder.Services.AddCam(builder.Configuration);
builder.Services.AddAnimation(builder.Configuration);
builder.Services.AddAccess(builder.Configuration);
builder.Services.AddTraffic(builder.Configuration);
builder.Services.AddHealth();
builder.Services.AddPrometheusMetrics(builder.Configuration);
builder.Services.AddApiDocumentation(builder.Configuration);
builder.Services.AddSurface(builder.Configuration);

var app = builder.Build();

app.UseForwardedHeadersFromProxies();
app.UseRequestLogging();
app.UseProblems();
app.UseSurface();
app.UseMetricsPort();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAccess();
app.UseTraffic();
app.MapApiDocumentation();
app.MapHealth();
app.MapPrometheusMetrics();
app.MapModels();
app.MapCam();
app.MapAnimation();
app.MapCamMethods();

app.Run();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
