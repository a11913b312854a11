using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>The one place that decides whether a model needs preparing before it can be explained, for the service and the CLI.</summary>
public static class CamReadyForm
{
    /// <summary>
    /// <paramref name="model"/> itself when it is CAM-ready, else what <paramref name="prepare"/> makes of it: a build by
    /// <see cref="CamReadyBuilder"/> in memory (the CLI), or one cached by content (the service).
    /// </summary>
    public static ModelProto Of(ModelProto model, Func<ModelProto, ModelProto> prepare) => CamModelInfo.Read(model).IsCamReady ? model : prepare(model);
}
