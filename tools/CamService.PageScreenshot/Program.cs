using Microsoft.Playwright;

// Opens the page of a running CamService in Debian's headless Chromium (or CAMSERVICE_CHROMIUM),
// adds the photos, waits until every cell is explained, and saves a full-page screenshot:
//   dotnet CamService.PageScreenshot.dll URL OUT.png PHOTO...
// Fails when the page logs an error or a cell fails, so a broken page never becomes the README's picture.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: CamService.PageScreenshot URL OUT.png PHOTO...");
    return 2;
}
var (url, output, photos) = (args[0], args[1], args[2..]);
var chromium = Environment.GetEnvironmentVariable("CAMSERVICE_CHROMIUM") ?? "/usr/bin/chromium";
var patience = new PageWaitForFunctionOptions { Timeout = 300_000, PollingInterval = 250 };

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium,
    Headless = true,
    Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
var errors = new List<string>();
page.Console += (_, message) =>
{
    if (message.Type == "error")
    {
        errors.Add(message.Text);
    }
};
page.PageError += (_, error) => errors.Add(error);

await page.GotoAsync(url);
await page.WaitForFunctionAsync(
    "() => document.querySelector('.model-card') && !document.querySelector('.model-card[data-status=loading]')", null, patience);
var models = await page.Locator(".model-card input:checked").CountAsync();
if (models == 0)
{
    Console.Error.WriteLine($"No model is ready: {await page.Locator(".models-status").TextContentAsync()}");
    return 1;
}
await page.Locator("[data-file-input]").SetInputFilesAsync(photos);
await page.WaitForFunctionAsync(
    """
    count => {
      const cells = [...document.querySelectorAll('cam-cell')];
      return cells.length === count && cells.every(cell => cell.dataset.state === 'done' || cell.dataset.state === 'failed');
    }
    """, photos.Length * models, patience);
var failed = await page.Locator("cam-cell[data-state=failed] .cell-error").AllTextContentsAsync();
errors.AddRange(failed);
if (errors.Count > 0)
{
    Console.Error.WriteLine("The page went wrong:\n" + string.Join("\n", errors));
    return 1;
}

await page.ScreenshotAsync(new PageScreenshotOptions { Path = output, FullPage = true });
Console.WriteLine($"{output}: {photos.Length} photos × {models} models");
return 0;
