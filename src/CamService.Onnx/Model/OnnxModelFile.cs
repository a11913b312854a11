using Google.Protobuf;
using Onnx;

namespace CamService.Onnx.Model;

/// <summary>
/// Reads and writes ONNX model files. Tensors stored as external data are read into the model on
/// load, so a model can be edited and saved anywhere without dangling references; on save, models
/// too large for one protobuf message are written with their initializers in a sidecar data file.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>Protobuf messages cannot exceed 2 GiB; stay well below it before going external.</summary>
    public const long InlineLimitBytes = 1L << 30;

    const TensorProto.Types.DataLocation ExternalLocation = TensorProto.Types.DataLocation.External;

    public static ModelProto Load(string path)
    {
        using var stream = OpenExisting(path);
        return Complete(Parse(path, () => ModelProto.Parser.ParseFrom(stream)), path);
    }

    /// <summary>
    /// The model at <paramref name="path"/> with the file's own bytes, when those are the whole serialised model (no
    /// external data, within <see cref="InlineLimitBytes"/>): a session can take them as they are, where serialising
    /// the parsed model again costs a large model a third of a second; and the external data files it read.
    /// </summary>
    public static LoadedModelFile LoadWithBytes(string path)
    {
        var dataFiles = new List<string>();
        using (var stream = OpenExisting(path))
        {
            if (stream.Length > InlineLimitBytes)
            {
                return new(Complete(Parse(path, () => ModelProto.Parser.ParseFrom(stream)), path, dataFiles), null, dataFiles);
            }
        }
        var bytes = File.ReadAllBytes(path);
        var model = Complete(Parse(path, () => ModelProto.Parser.ParseFrom(bytes)), path, dataFiles);
        return new(model, dataFiles.Count > 0 ? null : bytes, dataFiles);
    }

    static FileStream OpenExisting(string path) => File.Exists(path)
        ? File.OpenRead(path)
        : throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);

    static ModelProto Parse(string path, Func<ModelProto> parse)
    {
        ModelProto model;
        try
        {
            model = parse();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model: {e.Message}", e);
        }
        return model.Graph is null ? throw new InvalidDataException($"'{path}' has no graph: it is not an ONNX model.") : model;
    }

    /// <summary>Reads the tensors kept as external data into <paramref name="model"/>, noting the files read in <paramref name="dataFiles"/>.</summary>
    static ModelProto Complete(ModelProto model, string path, List<string>? dataFiles = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (var tensor in AllTensors(model.Graph).Where(t => t.DataLocation == ExternalLocation))
        {
            var file = ReadExternalData(tensor, directory);
            if (dataFiles is not null && !dataFiles.Contains(file))
            {
                dataFiles.Add(file);
            }
        }
        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/>, atomically; its initializers go to PATH.data when
    /// the model is larger than <paramref name="externalAbove"/> bytes (default <see cref="InlineLimitBytes"/>).
    /// </summary>
    public static void Save(ModelProto model, string path, long? externalAbove = null)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);

        if (!Fits(model, externalAbove ?? InlineLimitBytes))
        {
            model = WithExternalData(model, Path.GetFileName(fullPath) + ".data", directory);
        }

        var temporary = fullPath + $".{Environment.ProcessId}.tmp";
        using (var stream = File.Create(temporary))
        {
            model.WriteTo(stream);
        }
        File.Move(temporary, fullPath, overwrite: true);
    }

    /// <summary>
    /// Whether the model serialises to at most <paramref name="limitBytes"/>. Its tensors' data is counted first, in
    /// 64 bits: protobuf's own size is an int, which a model past 2 GiB overflows.
    /// </summary>
    public static bool Fits(ModelProto model, long limitBytes)
    {
        var tensorBytes = AllTensors(model.Graph).Sum(t => (long)t.RawData.Length + 4L * t.FloatData.Count + 8L * t.Int64Data.Count +
                                                           8L * t.DoubleData.Count + 4L * t.Int32Data.Count);
        return tensorBytes <= limitBytes && model.CalculateSize() <= limitBytes;
    }

    /// <summary>Every tensor in a graph and its subgraphs: initializers and tensor attributes.</summary>
    internal static IEnumerable<TensorProto> AllTensors(GraphProto graph)
    {
        foreach (var initializer in graph.Initializer)
        {
            yield return initializer;
        }
        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                {
                    yield return attribute.T;
                }
                foreach (var tensor in attribute.Tensors)
                {
                    yield return tensor;
                }
                var subgraphs = attribute.G is null ? attribute.Graphs : attribute.Graphs.Append(attribute.G);
                foreach (var subgraph in subgraphs)
                {
                    foreach (var tensor in AllTensors(subgraph))
                    {
                        yield return tensor;
                    }
                }
            }
        }
    }

    /// <summary>Reads one tensor's external data into it; returns the file's full path.</summary>
    static string ReadExternalData(TensorProto tensor, string directory)
    {
        var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' is external but names no location.");
        }

        var file = Path.GetFullPath(Path.Combine(directory, location));
        if (!File.Exists(file))
        {
            throw new FileNotFoundException(
                $"Tensor '{tensor.Name}' keeps its data in '{location}', which is not beside the model.", file);
        }

        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l) : new FileInfo(file).Length - offset;
        var bytes = new byte[length];
        using (var stream = File.OpenRead(file))
        {
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
        }

        tensor.RawData = ByteString.CopyFrom(bytes);
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        return file;
    }

    /// <summary>A copy whose large initializers live in one data file beside the model.</summary>
    static ModelProto WithExternalData(ModelProto model, string dataFileName, string directory)
    {
        var copy = model.Clone();
        var dataPath = Path.Combine(directory, dataFileName);
        using var data = File.Create(dataPath);
        foreach (var tensor in copy.Graph.Initializer)
        {
            if (tensor.RawData.Length < 1024)
            {
                continue;
            }
            // ONNX Runtime memory-maps external data; aligning offsets keeps that possible.
            var padding = (4096 - data.Position % 4096) % 4096;
            data.Write(new byte[padding]);
            var offset = data.Position;
            tensor.RawData.WriteTo(data);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataFileName });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString() });
            tensor.DataLocation = ExternalLocation;
            tensor.RawData = ByteString.Empty;
        }
        return copy;
    }
}

/// <summary>
/// A model file as loaded: the model with every tensor in it, the file's own bytes where they are the whole serialised model
/// (else null), and the external data files its tensors were read from, which are as much its content as the file.
/// </summary>
public sealed record LoadedModelFile(ModelProto Model, byte[]? Bytes, IReadOnlyList<string> DataFiles)
{
    public void Deconstruct(out ModelProto model, out byte[]? bytes)
    {
        model = Model;
        bytes = Bytes;
    }
}
