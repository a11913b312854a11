using System.ComponentModel.DataAnnotations;
using CamService.Inference.Runtime;

namespace CamService.Inference;

/// <summary>Configuration section "Inference": where and how models run.</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>cpu (default) or cuda. CUDA needs a build with -p:OnnxRuntimeFlavor=cuda.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Serve on the CPU when CUDA was asked for but cannot be used. Off: readiness fails with the reason.</summary>
    public bool AllowCpuFallback { get; set; }

    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>Threads of the inference thread pool; 0 means one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>One intra-op thread pool for all models (default) instead of one per model.</summary>
    public bool SharedThreadPool { get; set; } = true;

    /// <summary>Let idle inference threads spin; off by default so models do not burn each other's cores.</summary>
    public bool AllowSpinning { get; set; }

    public ExecutionSettings ToSettings() => new()
    {
        Device = Device,
        AllowCpuFallback = AllowCpuFallback,
        CudaDeviceId = CudaDeviceId,
        IntraOpThreads = Threads,
        SharedThreadPool = SharedThreadPool,
        AllowSpinning = AllowSpinning,
    };
}
