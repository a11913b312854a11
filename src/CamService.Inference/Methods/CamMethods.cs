namespace CamService.Inference.Methods;

/// <summary>The registered CAM methods by name. A new method is one class and one line here.</summary>
public sealed class CamMethods
{
    readonly Dictionary<string, CamMethod> methods;

    public CamMethods(IEnumerable<CamMethod> methods) =>
        this.methods = methods.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);

    public static CamMethods Default { get; } = new(
    [
        new GradCam(),
        new GradCamPlusPlus(),
        new XGradCam(),
        new HiResCam(),
        new LayerCam(),
        new EigenCam(),
        new AblationCam(),
        new ScoreCam(),
    ]);

    public IEnumerable<CamMethod> All => Names.Select(n => methods[n]);

    public IEnumerable<string> Names => methods.Keys.Order(StringComparer.Ordinal);

    public CamMethod? Find(string name) => methods.GetValueOrDefault(name);
}
