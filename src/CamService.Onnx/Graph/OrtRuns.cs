using Microsoft.ML.OnnxRuntime;

namespace CamService.Onnx.Graph;

/// <summary>
/// ONNX Runtime runs with options of their own. The managed <c>Run</c> hands only native handles to
/// the native call, so a <see cref="RunOptions"/> that nothing else refers to (one made inline in
/// the call) can be finalized by a garbage collection while the run is still going: a
/// use-after-free that once crashed the test host. Here the options stay referenced until the run
/// has returned, and are then disposed.
/// </summary>
public static class OrtRuns
{
    public static IDisposableReadOnlyCollection<OrtValue> RunWithOwnOptions(this InferenceSession session,
        IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, IReadOnlyCollection<string> outputNames)
    {
        using var options = new RunOptions();
        return session.Run(options, inputNames, inputs, outputNames);
    }
}
