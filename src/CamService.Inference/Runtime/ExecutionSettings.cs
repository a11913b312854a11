using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>Where models run.</summary>
public enum ExecutionDevice
{
    Cpu,
    Cuda,
}

/// <summary>How ONNX Runtime sessions are created: device, fallback and threads.</summary>
public sealed record ExecutionSettings
{
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    public int CudaDeviceId { get; init; }

    /// <summary>Run on the CPU when CUDA was asked for but cannot be used (off by default: no silent fallback).</summary>
    public bool AllowCpuFallback { get; init; }

    /// <summary>Threads one run may use (its intra-op pool, the calling thread included); 0 is ONNX Runtime's default, one per physical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Whether idle pool threads spin before sleeping: lower latency between operators, but they burn cores.</summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Whether a spinning pool stops spinning as soon as its run returns (ONNX Runtime's
    /// session.force_spinning_stop). On by default: a pool still spinning after its run takes the
    /// cores from the next run, another model's (measured: densenet121 ran 30 % slower right after a
    /// spinning session). Off is ONNX Runtime's own default.
    /// </summary>
    public bool StopSpinningAfterRun { get; init; } = true;

    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
}

/// <summary>CUDA was asked for and cannot be used; the message says why.</summary>
public sealed class ExecutionProviderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Creates sessions as <see cref="ExecutionSettings"/> say, failing loudly on a CUDA misconfiguration.</summary>
public static class SessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>A session for the model, and the device it really runs on ("cpu" or "cuda:N").</summary>
    public static (InferenceSession Session, string Device) Create(SerializedModel model, ExecutionSettings settings, Action<string>? warn = null)
    {
        var (options, device) = CreateOptions(settings, warn);
        using (options)
        {
            return (model.Open(options), device);
        }
    }

    public static (SessionOptions Options, string Device) CreateOptions(ExecutionSettings settings, Action<string>? warn = null)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = settings.Optimization,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.IntraOpNumThreads = settings.IntraOpThreads;
        options.InterOpNumThreads = 1;
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", settings.AllowSpinning ? "1" : "0");
        options.AddSessionConfigEntry("session.force_spinning_stop", settings.AllowSpinning && settings.StopSpinningAfterRun ? "1" : "0");
        if (settings.Device == ExecutionDevice.Cpu)
        {
            return (options, "cpu");
        }

        try
        {
            var available = OrtEnv.Instance().GetAvailableProviders();
            if (!available.Contains(CudaProvider))
            {
                throw new ExecutionProviderException(
                    $"CUDA was requested, but this ONNX Runtime build has no CUDA execution provider (available: {string.Join(", ", available)}). " +
                    "Build with -p:OnnxRuntimeFlavor=cuda to use Microsoft.ML.OnnxRuntime.Gpu.");
            }
            options.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
            return (options, $"cuda:{settings.CudaDeviceId}");
        }
        catch (Exception e)
        {
            options.Dispose();
            if (!settings.AllowCpuFallback)
            {
                throw e as ExecutionProviderException ?? new ExecutionProviderException(
                    $"CUDA was requested but cannot be used: {e.Message}. ONNX Runtime {OrtEnv.Instance().GetVersionString()} needs the NVIDIA " +
                    "driver, the CUDA runtime and cuDNN it was built for on the library path (LD_LIBRARY_PATH).", e);
            }
            warn?.Invoke($"CUDA is unavailable ({e.Message}); running on the CPU because AllowCpuFallback is set.");
            var (cpu, _) = CreateOptions(settings with { Device = ExecutionDevice.Cpu });
            return (cpu, "cpu (CUDA fallback)");
        }
    }
}
