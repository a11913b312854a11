using System.Security.Cryptography;

namespace CamService.Onnx.Model;

/// <summary>Streams a file into a hash a megabyte at a time: model files and their data files run to gigabytes.</summary>
public static class FileHashing
{
    public static void AppendFile(this IncrementalHash hash, string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
    }
}
