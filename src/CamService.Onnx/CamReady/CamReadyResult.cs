using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>A CAM-ready model and what was learnt while building it (classes and activation shape are in <see cref="Info"/>).</summary>
public sealed record CamReadyResult(
    ModelProto Model,
    CamModelInfo Info,
    TargetLayer Target,
    IReadOnlyList<NodeProto> Path);
