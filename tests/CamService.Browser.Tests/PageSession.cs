using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace CamService.Browser.Tests;

/// <summary>
/// One open page and what the tests watch on it: console errors, uncaught exceptions and requests
/// to other origins (each fails the test unless expected), and how many POST /cam requests it sent.
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    readonly IBrowserContext context;
    readonly List<string> errors = [];
    readonly Uri origin;
    int camRequests;

    PageSession(IBrowserContext context, IPage page, Uri origin)
    {
        this.context = context;
        this.origin = origin;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add($"console.error: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add($"pageerror: {error}");
            }
        };
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Scheme is "http" or "https" && url.GetLeftPart(UriPartial.Authority) != origin.GetLeftPart(UriPartial.Authority))
            {
                lock (errors)
                {
                    errors.Add($"request to another origin: {request.Url}");
                }
            }
            if (request.Method == "POST" && url.AbsolutePath == "/cam")
            {
                Interlocked.Increment(ref camRequests);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>POST /cam requests sent so far.</summary>
    public int CamRequests => Volatile.Read(ref camRequests);

    public static async Task<PageSession> OpenAsync(IBrowser browser, Uri address, ViewportSize viewport, Func<IPage, Task>? beforeLoad)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = address.ToString(),
            ViewportSize = viewport,
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        var session = new PageSession(context, page, address);
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }
        await page.GotoAsync("/");
        await page.Locator(".model-card").First.WaitForAsync();
        return session;
    }

    /// <summary>Adds images through the file input, as the picker does.</summary>
    public Task AddImagesAsync(params FilePayload[] files) => Page.Locator("[data-file-input]").SetInputFilesAsync(files);

    /// <summary>The cell of the row-th image (from 0) and the model; the grid's own rows, not those of the agreement matrices inside them.</summary>
    public ILocator Cell(int row, string model) => Page.Locator($"table.cam-grid > tbody > tr:nth-child({row + 1}) cam-cell[data-model-id='{model}']");

    /// <summary>The cell of the row-th image (from 0), the model and the method.</summary>
    public ILocator Cell(int row, string model, string method) =>
        Page.Locator($"table.cam-grid > tbody > tr:nth-child({row + 1}) cam-cell[data-model-id='{model}'][data-method='{method}']");

    /// <summary>
    /// Waits until the grid has <paramref name="count"/> cells and none of them, nor any row's agreement
    /// panel, is still waiting or running.
    /// </summary>
    public Task WaitForSettledCellsAsync(int count) =>
        Page.WaitForFunctionAsync(
            """
            count => {
              const cells = [...document.querySelectorAll('cam-cell')];
              const settled = element => element.dataset.state === 'done' || element.dataset.state === 'failed';
              return cells.length === count && cells.every(settled) && [...document.querySelectorAll('agreement-panel')].every(settled);
            }
            """, count);

    /// <summary>The RGBA pixel at the middle of a cell's overlay canvas.</summary>
    public Task<int[]> OverlayCentreAsync(ILocator cell) =>
        cell.Locator("canvas").EvaluateAsync<int[]>(
            "canvas => [...canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data]");

    /// <summary>Presses Tab until the focused element matches the selector; fails if it is never reached.</summary>
    public async Task TabToAsync(string selector, int maxPresses = 80)
    {
        for (var i = 0; i < maxPresses; i++)
        {
            await Page.Keyboard.PressAsync("Tab");
            if (await Page.EvaluateAsync<bool>("selector => document.activeElement?.matches(selector) ?? false", selector))
            {
                return;
            }
        }
        Assert.Fail($"Tab never reached {selector}.");
    }

    /// <summary>
    /// Fails on every console error, uncaught exception and request to another origin (the page
    /// loads nothing from a CDN), except those matching an expected pattern.
    /// </summary>
    public void AssertNoErrors(params string[] expectedPatterns)
    {
        List<string> unexpected;
        lock (errors)
        {
            unexpected = errors.Where(error => !expectedPatterns.Any(pattern => Regex.IsMatch(error, pattern))).ToList();
        }
        Assert.True(unexpected.Count == 0, "Unexpected errors on the page:\n" + string.Join("\n", unexpected));
    }

    /// <summary>Saves a full-page screenshot as artifacts/screenshots/NAME.png.</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.PathOf("screenshots", $"{name}.png"), FullPage = true });

    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}
