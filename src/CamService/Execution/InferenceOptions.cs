using System.ComponentModel.DataAnnotations;
using CamService.Inference.Runtime;

namespace CamService.Execution;

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

    /// <summary>
    /// Cores the service may keep busy with compute at once (model runs, decoding, drawing); 0 means
    /// every core the runtime sees (it honours a container's CPU limit).
    /// </summary>
    [Range(0, 1024)]
    public int Cores { get; set; }

    /// <summary>
    /// Intra-op threads of every model; 0 (default) measures, per model and once per machine, the
    /// count it runs fastest with, and the cheapest one for when requests queue up.
    /// </summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>
    /// Let a run that has the cores to itself use a spinning pool when that measures faster (or, with
    /// <see cref="Threads"/> set, always). Runs made while others wait never spin.
    /// </summary>
    public bool AllowSpinning { get; set; } = true;

    /// <summary>
    /// Measure each model's thread settings once the service is ready, when no explanation has been in flight for a
    /// second, and switch to what the measurement chooses (<see cref="ThreadSelection"/>); off, models keep the
    /// remembered or first-guess settings they loaded with.
    /// </summary>
    public bool MeasureThreads { get; set; } = true;

    public int ResolvedCores => Cores > 0 ? Cores : Environment.ProcessorCount;

    public ExecutionSettings ToSettings() => new()
    {
        Device = Device,
        AllowCpuFallback = AllowCpuFallback,
        CudaDeviceId = CudaDeviceId,
        IntraOpThreads = Threads,
        AllowSpinning = AllowSpinning && Threads > 1,
    };
}
