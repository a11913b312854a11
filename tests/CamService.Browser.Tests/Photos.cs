using CamService.Testing;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Browser.Tests;

/// <summary>The photos the page tests upload; the colour classifiers' answers to them are known.</summary>
public static class Photos
{
    /// <summary>64×48, red on its left three quarters and black elsewhere: top-1 "red" for every model.</summary>
    public static FilePayload Red() => Payload("red.png", TestImages.Png(TestImages.RedPatch(64, 48, new Rectangle(0, 0, 48, 48))));

    /// <summary>40×40, black with a small red corner: top-1 "dark" for every model.</summary>
    public static FilePayload Dark() => Payload("dark.png", TestImages.RedTopLeftPng(40));

    /// <summary>A PNG cut short and padded with junk: the service answers 422.</summary>
    public static FilePayload Truncated()
    {
        var png = TestImages.Png(TestImages.RedPatch(64, 64, new Rectangle(0, 0, 16, 16)));
        return Payload("truncated.png", [.. png[..(png.Length / 3)], .. Enumerable.Repeat((byte)0x5A, 64)]);
    }

    static FilePayload Payload(string name, byte[] bytes) => new() { Name = name, MimeType = "image/png", Buffer = bytes };

    public static Image<Rgba32> Decode(string path) => Image.Load<Rgba32>(path);
}
