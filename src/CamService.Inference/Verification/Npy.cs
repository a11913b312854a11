using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace CamService.Inference.Verification;

/// <summary>Reads the .npy files the Python reference writes (little-endian float32 / int64, C order).</summary>
public sealed partial record Npy(long[] Shape, float[]? Floats, long[]? Longs)
{
    public static Npy Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path} is not a .npy file.");
        }
        var major = bytes[6];
        var headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : (int)BitConverter.ToUInt32(bytes, 8);
        var headerStart = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header).Groups[1].Value;
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path} is in Fortran order.");
        }
        var shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = bytes.AsSpan(headerStart + headerLength);
        return descr switch
        {
            "<f4" => new Npy(shape, MemoryMarshal.Cast<byte, float>(data).ToArray(), null),
            "<i8" => new Npy(shape, null, MemoryMarshal.Cast<byte, long>(data).ToArray()),
            _ => throw new InvalidDataException($"{path} holds '{descr}', not float32 or int64."),
        };
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
