using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using CamService.Inference.Runtime;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Execution;

/// <summary>
/// Chooses each model's thread settings: as configured when <see cref="InferenceOptions.Threads"/> is
/// set, otherwise measured on this machine (<see cref="ThreadTuner"/>) and remembered in the cache
/// folder, keyed by the model's bytes and the machine, so that later starts skip the full sweep and only
/// refine it with one pass over the settings that could still win (<see cref="ThreadTuner.Refine"/>).
/// </summary>
public sealed class ThreadSelection(IOptions<InferenceOptions> options, ExecutionSettings settings, ILogger<ThreadSelection> logger)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <param name="id">The model's id, for the cache file's name and the log.</param>
    /// <param name="proto">The CAM-ready model.</param>
    /// <param name="bytes">Its serialised bytes, as sessions get them.</param>
    /// <param name="cacheDirectory">Where measurements are remembered; a folder that cannot be written only costs the next start a measurement.</param>
    public ServingThreads Choose(string id, ModelProto proto, byte[] bytes, string cacheDirectory)
    {
        var configured = options.Value;
        if (configured.Threads > 0 || settings.Device != ExecutionDevice.Cpu)
        {
            // On a GPU the pool only feeds the device; its size is not worth measuring.
            return ServingThreads.Configured(settings);
        }

        var key = $"{Machine(configured.ResolvedCores, configured.AllowSpinning)}; model {ContentHash(bytes)}";
        var path = Path.Combine(cacheDirectory, $"{id}.threads.json");
        ThreadTuning tuning;
        string source;
        var clock = Stopwatch.StartNew();
        if (Read(path, key) is { } cached)
        {
            // One more pass over the settings that could still win, each keeping its best: a first sweep that met
            // a busy spell does not decide for good (ThreadTuner.Refine).
            (tuning, source) = (ThreadTuner.Refine(cached, bytes, settings, _ => CamReadyModel.TimingInputs(proto)), "refined");
        }
        else
        {
            var candidates = ThreadTuner.Candidates(configured.ResolvedCores, configured.AllowSpinning);
            (tuning, source) = (ThreadTuner.Measure(bytes, settings, _ => CamReadyModel.TimingInputs(proto), candidates), "measured");
        }
        logger.LogInformation("{Model}: {Source} in {Seconds:F1} s: {Trials}", id, source, clock.Elapsed.TotalSeconds,
            string.Join("; ", tuning.Trials.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Choice} {t.MedianMs:F1} ms"))));
        Write(path, key, tuning);
        return ServingThreads.From(tuning, source);
    }

    ThreadTuning? Read(string path, string key)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            var record = JsonSerializer.Deserialize<CachedTuning>(File.ReadAllText(path), Json);
            return record is { Trials.Count: > 0 } && record.Key == key ? new ThreadTuning(record.Trials) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            logger.LogWarning("Ignoring the thread measurements in {Path}: {Reason}", path, e.Message);
            return null;
        }
    }

    void Write(string path, string key, ThreadTuning tuning)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".partial";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new CachedTuning(key, tuning.Trials.ToList()), Json));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remember the thread measurements at {Path}: {Reason}", path, e.Message);
        }
    }

    /// <summary>
    /// What a measurement depends on besides the model: the CPU, the cores the service may use, ONNX Runtime's
    /// version, whether spinning was tried and how the sweep judged its passes (a change there re-measures once).
    /// </summary>
    static string Machine(int cores, bool spinning) => string.Create(CultureInfo.InvariantCulture,
        $"{CpuModel()}; {RuntimeInformation.ProcessArchitecture}; {cores} cores; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; spinning {(spinning ? "tried, stopped after each run" : "off")}; each setting's best of {ThreadTuner.Passes} passes");

    static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                   ?? "unknown CPU";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown CPU";
        }
    }

    static string ContentHash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];

    sealed record CachedTuning(string Key, List<ThreadTrial> Trials);
}
