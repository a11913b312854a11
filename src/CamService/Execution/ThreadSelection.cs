using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CamService.Inference.Runtime;
using CamService.Onnx.Model;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Execution;

/// <summary>
/// Chooses each model's thread settings: as configured when <see cref="InferenceOptions.Threads"/> is
/// set, otherwise measured on this machine (<see cref="ThreadTuner"/>) and remembered in the cache
/// folder, keyed by the model's bytes and the machine. A sweep takes seconds a model, so a model loads on
/// what is at hand (<see cref="Choose"/>: the remembered measurement, else <see cref="ThreadTuner.Guess"/>)
/// and is measured once the service is ready (<see cref="Measure"/>, by <c>ThreadRefinement</c>): a full sweep
/// the first time, then one pass over the settings that could still win (<see cref="ThreadTuner.Refine"/>).
/// </summary>
public sealed class ThreadSelection(IOptions<InferenceOptions> options, ExecutionSettings settings, ILogger<ThreadSelection> logger)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Whether the settings are configured (or on a GPU, where the pool only feeds the device): nothing to measure.</summary>
    public bool IsConfigured => options.Value.Threads > 0 || settings.Device != ExecutionDevice.Cpu;

    /// <summary>Whether models are measured once the service is ready (<c>ThreadRefinement</c>), which also opens the sessions a load deferred.</summary>
    public bool MeasuresAfterReady => options.Value.MeasureThreads && !IsConfigured;

    /// <summary>The settings to load a model with, at once: configured, remembered from an earlier measurement, or guessed.</summary>
    /// <param name="id">The model's id, for the cache file's name.</param>
    /// <param name="bytes">The CAM-ready model, serialised as sessions get it.</param>
    /// <param name="cacheDirectory">Where measurements are remembered.</param>
    public ServingThreads Choose(string id, SerializedModel bytes, string cacheDirectory)
    {
        if (IsConfigured)
        {
            return ServingThreads.Configured(settings);
        }
        return Read(CachePath(cacheDirectory, id), Key(bytes)) is { } cached
            ? ServingThreads.From(cached, "remembered")
            : ServingThreads.Guessed(options.Value.ResolvedCores);
    }

    /// <summary>
    /// Measures a model's settings on this machine and remembers them: a full sweep when nothing is remembered, else
    /// one more pass over the settings that could still win, each keeping its best, so that a first sweep that met a
    /// busy spell does not decide for good (<see cref="ThreadTuner.Refine"/>). Runs on the calling thread.
    /// </summary>
    /// <param name="id">The model's id, for the cache file's name and the log.</param>
    /// <param name="proto">The CAM-ready model.</param>
    /// <param name="bytes">It serialised, as sessions get it.</param>
    /// <param name="cacheDirectory">Where measurements are remembered; a folder that cannot be written only costs the next start a measurement.</param>
    public ServingThreads Measure(string id, ModelProto proto, SerializedModel bytes, string cacheDirectory)
    {
        var key = Key(bytes);
        var path = CachePath(cacheDirectory, id);
        ThreadTuning tuning;
        string source;
        var clock = Stopwatch.StartNew();
        if (Read(path, key) is { } cached)
        {
            (tuning, source) = (ThreadTuner.Refine(cached, bytes, settings, _ => CamReadyModel.TimingInputs(proto)), "refined");
        }
        else
        {
            var candidates = ThreadTuner.Candidates(options.Value.ResolvedCores, options.Value.AllowSpinning);
            (tuning, source) = (ThreadTuner.Measure(bytes, settings, _ => CamReadyModel.TimingInputs(proto), candidates), "measured");
        }
        logger.LogInformation("{Model}: {Source} in {Seconds:F1} s: {Trials}", id, source, clock.Elapsed.TotalSeconds,
            string.Join("; ", tuning.Trials.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Choice} {t.MedianMs:F1} ms"))));
        Write(path, key, tuning);
        return ServingThreads.From(tuning, source);
    }

    static string CachePath(string cacheDirectory, string id) => Path.Combine(cacheDirectory, $"{id}.threads.json");

    string Key(SerializedModel bytes) => $"{Machine(options.Value.ResolvedCores, options.Value.AllowSpinning)}; model {bytes.ContentHash()[..16]}";

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

    sealed record CachedTuning(string Key, List<ThreadTrial> Trials);
}
