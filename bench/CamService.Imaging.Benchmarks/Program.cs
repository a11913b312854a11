// Times what the service does per request for a 12 MP photo, on one core — the decode, the model input,
// and the pictures both at the photo's size and at the default maxSize (1280) with each overlay format:
//   taskset -c 0 dotnet run -c Release --project bench/CamService.Imaging.Benchmarks [-- PHOTO]
// PHOTO (e.g. .cache/samples/chelsea.png) is upscaled to 4000×3000 and given ±6 levels of noise, more than
// a phone photo has, because PNG encoding time grows with detail: the overlay time is an upper bound.
// Without PHOTO a synthetic image is used.
using System.Diagnostics;
using CamService.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using ResizeMode = CamService.Imaging.ResizeMode;

const int Width = 4000, Height = 3000, Runs = 5;
// One core for the images made here; the loader's own configuration is held to one core by taskset.
Configuration.Default.MaxDegreeOfParallelism = 1;

using var photo = args.Length > 0 ? Image.Load<Rgb24>(args[0]) : new Image<Rgb24>(Width, Height);
photo.Mutate(x => x.Resize(Width, Height));
AddDetail(photo, seed: 1);
var loader = new ImageLoader(new ImageLimits());
var jpeg = Encode(photo, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });

var preprocessing = InputPreprocessing.ImageNet();
var input = new float[3 * 224 * 224];
var cam = Enumerable.Range(0, 49).Select(i => MathF.Sin(i * 0.7f) + 1).ToArray();
InputGeometry geometry = null!;
float[] projected = [];

Console.WriteLine($"{Width}×{Height} photo, median of {Runs} runs after a warm-up");
Time("load JPEG (decode + orient)", () => loader.Load(jpeg).Dispose());
Time("preprocess (resize 256, crop 224)", () => geometry = TensorPreprocessor.Fill(photo, preprocessing, ResizeMode.Crop, input));
// Project returns a new 12 MP float[]: this line shows how much of its time is just that allocation.
Time("baseline: allocate a 12 MP float map", () => new float[Width * Height].AsSpan().Fill(1f));
Time("project 7×7 CAM", () => projected = CamRenderer.Project(cam, 7, 7, geometry, Width, Height));
var overlaySize = 0;
Time("overlay PNG", () => overlaySize = CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 0.4f).Length);
var heatmapSize = 0;
Time("heatmap PNG", () => heatmapSize = CamRenderer.HeatmapPng(projected, Width, Height, Colormap.Turbo).Length);
Time("project + overlay PNG", () => CamRenderer.OverlayPng(photo, CamRenderer.Project(cam, 7, 7, geometry, Width, Height), Colormap.Jet, 0.4f));
Console.WriteLine($"overlay {overlaySize / 1e6:F1} MB, heatmap {heatmapSize / 1e6:F1} MB");

// As served by default: the model input from the halvings, the pictures at 1280 × 960.
Console.WriteLine();
Console.WriteLine("As served (maxSize 1280): per request, then per model");
const int Side = 1280, SideHeight = Side * Height / Width;
LoadedImage loaded = null!;
Time("load JPEG", () => loaded = loader.Load(jpeg));
TimeMeasured("model input from the halvings (1st)", () =>
{
    using var fresh = loader.Load(jpeg);
    var clock = Stopwatch.StartNew();
    TensorPreprocessor.Fill(fresh, preprocessing, ResizeMode.Crop, input);
    return clock.Elapsed.TotalMilliseconds;
});
Time("model input from the halvings (next)", () => geometry = TensorPreprocessor.Fill(loaded, preprocessing, ResizeMode.Crop, input));
TimeMeasured("photo at 1280 (1st, halvings made)", () =>
{
    using var fresh = loader.Load(jpeg);
    var clock = Stopwatch.StartNew();
    fresh.Display(Side, SideHeight);
    return clock.Elapsed.TotalMilliseconds;
});
var display = loaded.Display(Side, SideHeight);
Time("project 7×7 CAM at 1280", () => projected = CamRenderer.Project(cam, 7, 7, geometry, Side, SideHeight));
Time("heatmap PNG at 1280", () => heatmapSize = CamRenderer.HeatmapPng(projected, Side, SideHeight, Colormap.Jet).Length);
Console.WriteLine($"{"",-36} {heatmapSize / 1e3,8:F0} kB");
foreach (var format in Enum.GetValues<OverlayFormat>())
{
    Time($"overlay {format} at 1280", () => overlaySize = CamRenderer.Overlay(display, projected, Colormap.Jet, 0.5f, format, 85).Length);
    Console.WriteLine($"{"",-36} {overlaySize / 1e3,8:F0} kB");
}
loaded.Dispose();

static void Time(string what, Action action) => TimeMeasured(what, () =>
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalMilliseconds;
});

// The median of Runs after a warm-up; measure returns the milliseconds that count.
static void TimeMeasured(string what, Func<double> measure)
{
    measure();
    var times = new double[Runs];
    for (var i = 0; i < Runs; i++)
    {
        times[i] = measure();
    }
    Array.Sort(times);
    Console.WriteLine($"{what,-36} {times[Runs / 2],8:F1} ms");
}

static byte[] Encode(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
{
    using var stream = new MemoryStream();
    image.Save(stream, encoder);
    return stream.ToArray();
}

// Smooth shading (for the synthetic image) plus ±6 levels of noise, so deflate finds little to squeeze.
static void AddDetail(Image<Rgb24> image, int seed)
{
    var random = new Random(seed);
    for (var y = 0; y < image.Height; y++)
    {
        var row = image.DangerousGetPixelRowMemory(y).Span;
        for (var x = 0; x < row.Length; x++)
        {
            var p = row[x];
            var shade = (x * 97 / image.Width + y * 61 / image.Height) % 256;
            row[x] = new Rgb24(Noisy(p.R == 0 ? shade : p.R, random), Noisy(p.G == 0 ? 255 - shade : p.G, random), Noisy(p.B, random));
        }
    }

    static byte Noisy(int value, Random random) => (byte)Math.Clamp(value + random.Next(-6, 7), 0, 255);
}
