using System.Text;
using System.Text.Json;

namespace CamService.Fuzzing;

/// <summary>
/// Requests to POST /cam as fuzz inputs: the first line is the Content-Type, the rest the body. A request starts
/// valid (the tiny model, a small image, a random choice of valid fields); then its fields may be mutated as values
/// (huge, empty, negative, non-ASCII, control characters, long lists, unknown and repeated names, a mutated image)
/// and its bytes as bytes (the <see cref="Mutator"/>, aimed at the multipart parts when it can find them).
/// </summary>
public static class RequestInputs
{
    static readonly (string Name, string[] Values)[] ValidFields =
    [
        ("target", ["0", "1", "red", "0,1", "blue,dark"]),
        ("topk", ["1", "3", "4"]),
        ("colormap", ["jet", "viridis", "gray"]),
        ("alpha", ["0", "0.5", "1"]),
        ("resize", ["stretch", "crop"]),
        ("method", ["gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "gradcam,layercam"]),
        ("outputs", ["cam", "heatmap", "overlay", "cam,overlay"]),
        ("maxSize", ["0", "16", "64"]),
        ("format", ["auto", "png", "jpeg", "webp"]),
        ("metrics", ["insertion", "deletion"]),
        ("metricSteps", ["2", "4"]),
        ("agreement", ["true", "false"]),
    ];

    static readonly string[] HostileValues =
    [
        "", " ", "-1", "0", "2147483648", "-2147483649", "1e309", "NaN", "Infinity", "0x10", "1.5", ",,,", ",", "\0", "\u202e", "é",
        "\ud83d\ude00", "null", "true", "[]", "{}", "%00", "../../etc/passwd", "C:\\models\\x.onnx", "colour32,colour32", "scorecam",
        "ablationcam", "all",
    ];

    public static byte[] Create(Random random, FuzzFormat format, IReadOnlyList<byte[]> images, List<string>? log)
    {
        var image = images[random.Next(images.Count)];
        var fields = new List<(string Name, string Value)> { ("models", "colour32") };
        foreach (var (name, values) in ValidFields)
        {
            if (random.Next(4) == 0)
            {
                fields.Add((name, values[random.Next(values.Length)]));
            }
        }
        var sendImage = true;
        if (random.Next(2) == 0)
        {
            var changes = 1 + random.Next(3);
            for (var i = 0; i < changes; i++)
            {
                switch (random.Next(7))
                {
                    case 0:
                        image = Mutator.Mutate(random, Segments.Detect(image), image, images, log);
                        log?.Add("mutated image");
                        break;
                    case 1:
                        var name = random.Next(3) == 0 ? new string('n', 1 + random.Next(100_000)) : HostileValues[random.Next(HostileValues.Length)] + "x";
                        fields.Add((name, "1"));
                        log?.Add($"unknown field of {name.Length} characters");
                        break;
                    case 2:
                        sendImage = random.Next(4) != 0;
                        var field = ValidFields[random.Next(ValidFields.Length)].Name;
                        fields.Add((field, fields.FirstOrDefault(f => f.Name == field).Value ?? "1"));
                        log?.Add($"{field} twice");
                        break;
                    case 3:
                        var index = random.Next(fields.Count);
                        var list = string.Join(",", Enumerable.Range(0, 1 + random.Next(5000)).Select(n => random.Next(3) == 0 ? "red" : n.ToString()));
                        fields[index] = (fields[index].Name, list);
                        log?.Add($"{fields[index].Name} a list of {list.Length} characters");
                        break;
                    case 4:
                        var at = random.Next(fields.Count);
                        fields[at] = (fields[at].Name, random.Next(5) == 0 ? new string('9', 1 + random.Next(200_000)) : HostileValues[random.Next(HostileValues.Length)]);
                        log?.Add($"{fields[at].Name} hostile");
                        break;
                    case 5:
                        var upper = random.Next(fields.Count);
                        fields[upper] = (fields[upper].Name.ToUpperInvariant(), fields[upper].Value);
                        log?.Add($"{fields[upper].Name} upper case");
                        break;
                    default:
                        var named = ValidFields[random.Next(ValidFields.Length)].Name;
                        fields.Add((named, HostileValues[random.Next(HostileValues.Length)]));
                        log?.Add($"{named} hostile");
                        break;
                }
            }
        }
        var request = format == FuzzFormat.Json ? Json(image, sendImage, fields, random) : Multipart(image, sendImage, fields, random);
        if (random.Next(2) == 0)
        {
            log?.Add("bytes:");
            request = Mutator.Mutate(random, format, request, [], log);
        }
        return request;
    }

    /// <summary>Splits an input into its Content-Type and its body.</summary>
    public static (string ContentType, byte[] Body) Split(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        return newline < 0 ? (Encoding.Latin1.GetString(input), []) : (Encoding.Latin1.GetString(input, 0, newline), input[(newline + 1)..]);
    }

    static byte[] Multipart(byte[] image, bool sendImage, List<(string Name, string Value)> fields, Random random)
    {
        var boundary = $"----fuzz{random.Next():x8}";
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        Write($"multipart/form-data; boundary={boundary}\n");
        if (sendImage)
        {
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo\"\r\nContent-Type: application/octet-stream\r\n\r\n");
            body.Write(image);
            Write("\r\n");
        }
        foreach (var (name, value) in fields)
        {
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        }
        Write($"--{boundary}--\r\n");
        return body.ToArray();
    }

    static byte[] Json(byte[] image, bool sendImage, List<(string Name, string Value)> fields, Random random)
    {
        using var body = new MemoryStream();
        body.Write("application/json\n"u8);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            if (sendImage)
            {
                writer.WriteString("image", random.Next(4) == 0 ? "data:image/png;base64," + Convert.ToBase64String(image) : Convert.ToBase64String(image));
            }
            foreach (var (name, value) in fields)
            {
                // Lists as arrays, numbers as numbers, now and then: the reader takes both.
                if (value.Contains(',') && random.Next(2) == 0)
                {
                    writer.WriteStartArray(name);
                    foreach (var item in value.Split(','))
                    {
                        writer.WriteStringValue(item);
                    }
                    writer.WriteEndArray();
                }
                else if (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _) && value.Length < 20 && random.Next(2) == 0)
                {
                    writer.WritePropertyName(name);
                    writer.WriteRawValue(value, skipInputValidation: true);
                }
                else
                {
                    writer.WriteString(name, value);
                }
            }
            writer.WriteEndObject();
        }
        return body.ToArray();
    }
}
