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

    /// <summary>Threads one operator may use; 0 lets ONNX Runtime use every core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// All sessions share one process-wide thread pool instead of one pool each, so several models
    /// running at once take turns on the cores rather than oversubscribing them.
    /// </summary>
    public bool SharedThreadPool { get; init; }

    /// <summary>Whether idle pool threads spin before sleeping: lower latency, but they burn the cores other models need.</summary>
    public bool AllowSpinning { get; init; }

    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
}

/// <summary>
/// The process-wide ONNX Runtime environment. It is created once, on first use; a shared thread
/// pool can only be had if it is configured before any session exists.
/// </summary>
public static class OrtEnvironment
{
    static readonly Lock Gate = new();
    static bool sharedPool;

    /// <summary>
    /// Creates the environment with one shared intra-op pool of <paramref name="threads"/> threads
    /// (0 = every core). False when the environment already runs without one (something created a
    /// session first); sessions then keep pools of their own.
    /// </summary>
    public static bool TryConfigureSharedThreadPool(int threads, bool allowSpinning)
    {
        lock (Gate)
        {
            if (sharedPool)
            {
                return true;
            }
            if (OrtEnv.IsCreated)
            {
                return false;
            }
            using var threading = new OrtThreadingOptions
            {
                GlobalIntraOpNumThreads = threads,
                GlobalInterOpNumThreads = 1,
                GlobalSpinControl = allowSpinning,
            };
            // The pool's threads are created now and inherit the creating thread's priority.
            ComputeThreads.Run(() =>
            {
                var options = new EnvironmentCreationOptions
                {
                    logId = "CamService",
                    logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                    threadOptions = threading,
                };
                OrtEnv.CreateInstanceWithOptions(ref options);
            }).GetAwaiter().GetResult();
            sharedPool = true;
            return true;
        }
    }

    internal static void RequireSharedThreadPool()
    {
        lock (Gate)
        {
            if (!sharedPool)
            {
                throw new InvalidOperationException("SharedThreadPool needs OrtEnvironment.ConfigureSharedThreadPool before the first session.");
            }
        }
    }
}

/// <summary>CUDA was asked for and cannot be used; the message says why.</summary>
public sealed class ExecutionProviderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Creates sessions as <see cref="ExecutionSettings"/> say, failing loudly on a CUDA misconfiguration.</summary>
public static class SessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>A session for the model bytes, and the device it really runs on ("cpu" or "cuda:N").</summary>
    public static (InferenceSession Session, string Device) Create(byte[] model, ExecutionSettings settings, Action<string>? warn = null)
    {
        var (options, device) = CreateOptions(settings, warn);
        using (options)
        {
            return (new InferenceSession(model, options), device);
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
        if (settings.SharedThreadPool)
        {
            OrtEnvironment.RequireSharedThreadPool();
            options.DisablePerSessionThreads();
        }
        else
        {
            options.IntraOpNumThreads = settings.IntraOpThreads;
            options.InterOpNumThreads = 1;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", settings.AllowSpinning ? "1" : "0");
        }
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
