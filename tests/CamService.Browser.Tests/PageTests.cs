using System.Text.Json;
using Microsoft.Playwright;

namespace CamService.Browser.Tests;

[Collection(PageCollection.Name)]
public sealed class PageTests(PageFixture fixture)
{
    static readonly string[] Models = PageServer.ReadyModels;

    /// <summary>Two images, the three ready models ticked by default, six explained cells.</summary>
    async Task<PageSession> OpenWithGridAsync(int width = 1280, int height = 900)
    {
        var session = await fixture.OpenAsync(width, height);
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);
        return session;
    }

    [Fact]
    public async Task TwoImages_ThreeModels_SixLabelledOverlays()
    {
        await using var session = await OpenWithGridAsync();
        var page = session.Page;

        Assert.Equal(6, await page.Locator("cam-cell[data-state='done']").CountAsync());
        Assert.Equal(2, await page.Locator("table.cam-grid > tbody > tr").CountAsync());
        Assert.Equal(Models, await page.Locator("cam-grid thead th.model-head").EvaluateAllAsync<string[]>("heads => heads.map(h => h.dataset.modelId)"));

        foreach (var (row, top) in new[] { (0, "red"), (1, "dark") })
        {
            foreach (var model in Models)
            {
                var cell = session.Cell(row, model);
                var canvas = cell.Locator("canvas");
                Assert.True(await canvas.EvaluateAsync<bool>("c => c.width > 0 && c.height > 0"));
                Assert.Equal(255, (await session.OverlayCentreAsync(cell))[3]);
                var label = await canvas.GetAttributeAsync("aria-label");
                Assert.Contains(model, label);
                Assert.Contains($"“{top}”", label);
                Assert.StartsWith(top, await cell.Locator("[data-top1]").TextContentAsync());
                Assert.Contains($"Explains {top} #", await cell.Locator("[data-target]").TextContentAsync());
                Assert.Matches(@"[\d.]+ ms on the service", await cell.Locator("[data-time]").TextContentAsync());
                Assert.Equal(4, await cell.Locator(".prediction").CountAsync()); // top-5 of a 4-class model
            }
        }
        // The overlay keeps the photo's shape: 64×48.
        Assert.Equal(64.0 / 48, await session.Cell(0, "colour32").Locator("canvas").EvaluateAsync<double>("c => c.width / c.height"), 2);
        Assert.Matches(@"All 6 explained", await page.Locator("[data-progress]").TextContentAsync());
        // One request per photo, naming the three models.
        Assert.Equal(2, session.CamRequests);

        await session.ScreenshotAsync("grid");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Grid_UploadsEachPhotoOnce_AskingOnlyForTheHeatmap_AtTheSizeItShows()
    {
        var recorded = new CamBodies();
        await using var session = await fixture.OpenAsync(beforeLoad: recorded.RouteAsync);

        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        Assert.Equal(2, recorded.All.Count);
        foreach (var body in recorded.All)
        {
            Assert.Matches("name=\"models\"\\s+colour32,colour48,colour64\\s", body);
            Assert.Matches("name=\"outputs\"\\s+heatmap\\s", body);
            Assert.Matches("name=\"maxSize\"\\s+640\\s", body);
        }
        session.AssertNoErrors();
    }

    /// <summary>
    /// The seed's chart: a point per ready model, the pretrained one at its published top-1, the others (no published
    /// accuracy) on the band labelled for them, areas by parameters; the cost axis switches to measured latency.
    /// </summary>
    [Fact]
    public async Task Chart_PlotsPublishedAccuracyAgainstCost_UntrainedOnTheirBand()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        var points = page.Locator("model-chart g.point");
        await Assertions.Expect(points).ToHaveCountAsync(Models.Length);

        Assert.Equal(Models, await points.EvaluateAllAsync<string[]>("ps => ps.map(p => p.dataset.modelId)"));
        Assert.Equal([PageServer.UntrainedModel, "colour32"], (await page.Locator("model-chart g.point.is-untrained").EvaluateAllAsync<string[]>(
            "ps => ps.map(p => p.dataset.modelId)")).Order(StringComparer.Ordinal).Reverse());
        var trained = page.Locator("model-chart g.point[data-model-id='colour64']");
        Assert.Contains($"top-1 {PageServer.PublishedTop1:F1}%", await trained.Locator("title").TextContentAsync());
        Assert.Contains("no published accuracy", await page.Locator($"model-chart g.point[data-model-id='{PageServer.UntrainedModel}'] title").TextContentAsync());
        // colour64 has the most parameters, so the largest point; the band sits below every plotted accuracy.
        var radii = await points.Locator("circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.getAttribute('r'))");
        Assert.Equal(radii.Max(), radii[Array.IndexOf(Models, "colour64")]);
        var heights = await points.Locator("circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.getAttribute('cy'))");
        Assert.True(heights[Array.IndexOf(Models, PageServer.UntrainedModel)] > heights[Array.IndexOf(Models, "colour64")]);
        Assert.Equal("ImageNet top-1: 77.7%", "ImageNet top-1: " + await page.Locator("model-picker li[data-model-id='colour64'] .model-fact", new() { HasText = "ImageNet top-1" }).Locator("dd").TextContentAsync());

        await page.Locator("#chart-axis").SelectOptionAsync("latencyMs");
        Assert.Contains("latency", await page.Locator("model-chart svg").GetAttributeAsync("aria-label"));
        Assert.Contains(" ms", await trained.Locator("title").TextContentAsync());
        await session.ScreenshotAsync("chart");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Header_LinesModelsUpBySizeAndSpeed_AndMarksTheUntrainedOne()
    {
        // The service lists the models largest first here, so that ordering by GMACs has work to do.
        string[] largestFirst = [.. Enumerable.Reverse(Models)];
        await using var session = await fixture.OpenAsync(beforeLoad: page => page.RouteAsync("**/models", async route =>
        {
            var response = await route.FetchAsync();
            var models = JsonSerializer.Deserialize<JsonElement[]>(await response.TextAsync())!;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = JsonSerializer.Serialize(Enumerable.Reverse(models)) });
        }));
        var page = session.Page;
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        var heads = page.Locator("cam-grid thead th.model-head");
        var firstRow = page.Locator("table.cam-grid > tbody > tr").First.Locator("cam-cell");
        const string ModelIds = "elements => elements.map(e => e.dataset.modelId)";
        Assert.Equal(largestFirst, await heads.EvaluateAllAsync<string[]>(ModelIds));
        foreach (var model in Models)
        {
            var head = page.Locator($"th.model-head[data-model-id='{model}']");
            Assert.Equal(["Parameters", "GMACs", "Latency"], await head.Locator("dt").AllTextContentsAsync());
            var values = await head.Locator(".bar-value").AllTextContentsAsync();
            Assert.All(values, value => Assert.NotEqual("–", value));
            Assert.EndsWith(" ms", values[2]);
            Assert.Equal(model == PageServer.UntrainedModel, await head.Locator(".badge-untrained").IsVisibleAsync());
        }

        // Ordering the columns by GMACs moves the header and every row's cells, and asks for nothing.
        await page.Locator("#model-order").SelectOptionAsync("gigaMacs");
        Assert.Equal(Models, await heads.EvaluateAllAsync<string[]>(ModelIds));
        Assert.Equal(Models, await firstRow.EvaluateAllAsync<string[]>(ModelIds));
        Assert.Equal(6, await page.Locator("cam-cell[data-state='done']").CountAsync());
        Assert.Equal(2, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Models_FailedOneIsShownButNotSelectable()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        var broken = page.Locator($".model-card[data-model-id='{PageServer.BrokenModel}']");
        Assert.True(await broken.Locator("input[type=checkbox]").IsDisabledAsync());
        Assert.False(await broken.Locator("input[type=checkbox]").IsCheckedAsync());
        Assert.Contains("Failed to load", await broken.TextContentAsync());
        Assert.True(await broken.Locator(".badge-failed").IsVisibleAsync());
        foreach (var model in Models)
        {
            var card = page.Locator($".model-card[data-model-id='{model}']");
            Assert.True(await card.Locator("input[type=checkbox]").IsCheckedAsync());
            Assert.Equal(model == PageServer.UntrainedModel, await card.Locator(".badge-untrained").IsVisibleAsync());
            string[] facts = ["Parameters", "GMACs", "Latency", "Input", "Maps"];
            Assert.Equal(model == "colour64" ? [.. facts, "ImageNet top-1"] : facts, await card.Locator("dt").AllTextContentsAsync());
            Assert.Equal(model == "colour32" ? "8×8" : model == "colour48" ? "12×12" : "16×16",
                await card.Locator(".model-fact", new() { HasText = "Maps" }).Locator("dd").TextContentAsync());
        }
        Assert.Equal("3 of 4 ready.", await page.Locator(".models-status").TextContentAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task NoReadyModel_SaysSo()
    {
        var failed = JsonSerializer.Serialize(new[] { new { id = "broken", status = "failed", error = "not an ONNX model", untrained = false } });
        await using var session = await fixture.OpenAsync(beforeLoad: page =>
            page.RouteAsync("**/models", route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "application/json", Body = failed })));
        var page = session.Page;

        Assert.Contains("No model is ready", await page.Locator(".models-status").TextContentAsync());
        Assert.True(await page.Locator(".model-card input").IsDisabledAsync());
        await session.AddImagesAsync(Photos.Red());
        await Assertions.Expect(page.Locator(".grid-empty")).ToHaveTextAsync("Choose at least one ready model.");
        Assert.Equal(0, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Retarget_FromTopFive_ChangesThatCellOnly()
    {
        await using var session = await OpenWithGridAsync();
        var cell = session.Cell(0, "colour48");

        await cell.Locator(".prediction", new LocatorLocatorOptions { HasText = "green" }).ClickAsync();
        await session.WaitForSettledCellsAsync(6);

        Assert.Contains("Explains green #1", await cell.Locator("[data-target]").TextContentAsync());
        Assert.Equal("true", await cell.Locator(".prediction[data-index='1']").GetAttributeAsync("aria-pressed"));
        Assert.Contains("“green”", await cell.Locator("canvas").GetAttributeAsync("aria-label"));
        foreach (var (row, model) in new[] { (0, "colour32"), (0, "colour64"), (1, "colour32"), (1, "colour48"), (1, "colour64") })
        {
            Assert.DoesNotContain("green", await session.Cell(row, model).Locator("[data-target]").TextContentAsync());
        }
        Assert.Equal(3, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Opacity_ReblendsInTheBrowser_WithoutANewRequest()
    {
        await using var session = await OpenWithGridAsync();
        var cell = session.Cell(0, "colour32");
        var before = await session.OverlayCentreAsync(cell);

        await session.Page.Locator("#opacity").FillAsync("100");
        await session.Page.WaitForFunctionAsync("() => document.querySelector('output[for=opacity]').value === '100%'");
        var opaque = await session.OverlayCentreAsync(cell);
        await session.Page.Locator("#opacity").FillAsync("0");
        var photo = await session.OverlayCentreAsync(cell);

        Assert.NotEqual(before, opaque);
        // At 0 the canvas is the photo itself: the centre of red.png is pure red.
        Assert.Equal([255, 0, 0, 255], photo);
        await Task.Delay(300);
        Assert.Equal(2, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Hovering_ShowsThePhotoWithoutTheOverlay()
    {
        await using var session = await OpenWithGridAsync();
        var cell = session.Cell(1, "colour64");

        await cell.Locator(".cell-picture").HoverAsync();
        await cell.Locator("canvas").EvaluateAsync("c => c.getAnimations().forEach(a => a.finish())");
        Assert.Equal("0", await cell.Locator("canvas").EvaluateAsync<string>("c => getComputedStyle(c).opacity"));
        Assert.True(await cell.Locator("img.cell-original").EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 40"));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task GridPng_DownloadsAtTheLayoutsSize()
    {
        await using var session = await OpenWithGridAsync();

        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Page.Locator("[data-download-grid]").ClickAsync());
        var path = Artifacts.PathOf("downloads", download.SuggestedFilename);
        await download.SaveAsAsync(path);

        // lib/grid-image.js: width = 16 + 160 + models · (256 + 16); height = 48 + 96 + images · (256 + 60 + 16).
        using var grid = Photos.Decode(path);
        Assert.Equal((16 + 160 + 3 * (256 + 16), 48 + 96 + 2 * (256 + 60 + 16)), (grid.Width, grid.Height));
        // The first overlay (64×48 scaled to 256×192, at the top of its box) covers its box's middle; the corner is white.
        var middle = grid[16 + 160 + 128, 48 + 96 + 128];
        Assert.NotEqual(new SixLabors.ImageSharp.PixelFormats.Rgba32(255, 255, 255, 255), middle);
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgba32(255, 255, 255, 255), grid[grid.Width - 1, grid.Height - 1]);
        Assert.Equal("camservice-grid.png", download.SuggestedFilename);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task SingleOverlay_DownloadsAtThePhotosSize()
    {
        await using var session = await OpenWithGridAsync();

        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Cell(0, "colour64").Locator("[data-download-overlay]").ClickAsync());
        var path = Artifacts.PathOf("downloads", download.SuggestedFilename);
        await download.SaveAsAsync(path);

        using var overlay = Photos.Decode(path);
        Assert.Equal((64, 48), (overlay.Width, overlay.Height));
        Assert.Equal("red_colour64_gradcam_red.png", download.SuggestedFilename);
        // The grid's heatmaps are only as large as the grid shows them: the download asks for the full size.
        Assert.Equal(3, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task CorruptFile_ErrorInItsRow_WhileTheOthersRender()
    {
        await using var session = await fixture.OpenAsync();
        await session.AddImagesAsync(Photos.Red(), Photos.Truncated());
        await session.WaitForSettledCellsAsync(6);

        foreach (var model in Models)
        {
            Assert.Equal("done", await session.Cell(0, model).GetAttributeAsync("data-state"));
            var failed = session.Cell(1, model);
            Assert.Equal("failed", await failed.GetAttributeAsync("data-state"));
            Assert.Equal("Corrupt image (422)", await failed.Locator(".cell-error-title").TextContentAsync());
            Assert.False(string.IsNullOrWhiteSpace(await failed.Locator(".cell-error-detail").TextContentAsync()));
            Assert.True(await failed.Locator(".cell-error").IsVisibleAsync());
        }
        Assert.Contains("3 failed", await session.Page.Locator("[data-progress]").TextContentAsync());
        Assert.Contains("no preview", await session.Page.Locator(".thumbnail").Nth(1).TextContentAsync());

        await session.ScreenshotAsync("corrupt-file");
        // Chromium logs each failed response itself; the page logs nothing.
        session.AssertNoErrors("Failed to load resource: the server responded with a status of 422");
    }

    [Fact]
    public async Task BusyService_CellsWaitOutRetryAfter_AndStillExplain()
    {
        // The first three explanations are refused as a full service refuses them: 503, Retry-After.
        var camRequests = 0;
        await using var session = await fixture.OpenAsync(beforeLoad: page => page.RouteAsync("**/cam", async route =>
        {
            if (Interlocked.Increment(ref camRequests) <= 3)
            {
                await route.FulfillAsync(new RouteFulfillOptions
                {
                    Status = 503,
                    ContentType = "application/problem+json",
                    Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                    Body = """{"status":503,"title":"Busy","detail":"All explanation slots are taken."}""",
                });
                return;
            }
            await route.ContinueAsync();
        }));
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        Assert.Equal(6, await session.Page.Locator("cam-cell[data-state='done']").CountAsync());
        // One request per photo; three refusals, each followed by the request again.
        Assert.Equal(5, Volatile.Read(ref camRequests));
        session.AssertNoErrors("Failed to load resource: the server responded with a status of 503");
    }

    [Fact]
    public async Task PasteAndDrop_AddImages_AndRemoveTakesOneAway()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        var png = Convert.ToBase64String(Photos.Red().Buffer);

        await page.EvaluateAsync(
            """
            base64 => {
              const file = name => new File([Uint8Array.from(atob(base64), c => c.charCodeAt(0))], name, { type: 'image/png' });
              const pasted = new DataTransfer();
              pasted.items.add(file('pasted.png'));
              document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
              const dropped = new DataTransfer();
              dropped.items.add(file('dropped.png'));
              document.querySelector('[data-drop-zone]').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
            }
            """, png);
        await session.WaitForSettledCellsAsync(6);
        Assert.Equal(["pasted.png", "dropped.png"], await page.Locator(".thumbnail-name").AllTextContentsAsync());
        Assert.Equal(["pasted.png", "dropped.png"], await page.Locator("cam-grid .image-head-name").AllTextContentsAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove pasted.png" }).ClickAsync();
        Assert.Equal(["dropped.png"], await page.Locator("cam-grid .image-head-name").AllTextContentsAsync());
        Assert.Equal(3, await page.Locator("cam-cell").CountAsync());
        Assert.Equal("Remove dropped.png", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('aria-label')"));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Keyboard_DrivesTheMainControls()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        // Images: Tab to the picker's button and press Enter; the file chooser opens.
        await session.TabToAsync("image-picker .button-primary");
        Assert.Equal("solid", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        // On a loaded 2-core machine the chooser twice never opened after the first Enter (2 runs of about 10; cause
        // not found): Enter is pressed again, three times at most, so a picker that keys cannot open still fails.
        IFileChooser? chooser = null;
        for (var attempt = 1; chooser is null; attempt++)
        {
            try
            {
                chooser = await page.RunAndWaitForFileChooserAsync(() => page.Keyboard.PressAsync("Enter"), new() { Timeout = 7_000 });
            }
            catch (TimeoutException) when (attempt < 3)
            {
                Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement?.matches('image-picker .button-primary') ?? false"),
                    "The picker's button lost the focus.");
            }
        }
        await chooser.SetFilesAsync([Photos.Red(), Photos.Dark()]);
        await session.WaitForSettledCellsAsync(6);

        // Models: Space unticks a model (its column goes; each row's agreement of the other two is asked
        // for) and ticks it again (its cells and the agreement of all three, one request per photo).
        await session.TabToAsync($".model-card[data-model-id='{PageServer.UntrainedModel}'] input");
        await page.Keyboard.PressAsync("Space");
        await session.WaitForSettledCellsAsync(4);
        Assert.Equal(4, session.CamRequests);
        await page.Keyboard.PressAsync("Space");
        await session.WaitForSettledCellsAsync(6);
        Assert.Equal(6, session.CamRequests);

        // Target: type part of a label and press Enter: every cell explains it.
        await session.TabToAsync("#target");
        await page.Keyboard.TypeAsync("gre");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.querySelector('#target').value === 'green'");
        await session.WaitForSettledCellsAsync(6);
        Assert.All(await page.Locator("cam-cell [data-target]").AllTextContentsAsync(), text => Assert.Contains("Explains green #1", text));
        Assert.Equal(8, session.CamRequests);

        // Colormap: arrow keys on the select.
        await session.TabToAsync("#colormap");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal("turbo", await page.Locator("#colormap").InputValueAsync());
        await session.WaitForSettledCellsAsync(6);
        Assert.Equal(10, session.CamRequests);

        // Opacity: arrow keys on the slider; no request.
        await session.TabToAsync("#opacity");
        await page.Keyboard.PressAsync("ArrowRight");
        Assert.Equal("55%", await page.Locator("output[for=opacity]").TextContentAsync());

        // Resize: arrow keys move between the radio buttons.
        await session.TabToAsync("input[name=resize]:checked");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.True(await page.Locator("input[name=resize][value=crop]").IsCheckedAsync());
        await session.WaitForSettledCellsAsync(6);
        Assert.Equal(12, session.CamRequests);

        // A cell: focusing it shows the photo; Enter on a top-5 entry re-targets that cell.
        await session.TabToAsync("tbody tr:first-child cam-cell[data-model-id='colour32'] .cell-figure");
        var cell = session.Cell(0, "colour32");
        await cell.Locator("canvas").EvaluateAsync("c => c.getAnimations().forEach(a => a.finish())");
        Assert.Equal("0", await cell.Locator("canvas").EvaluateAsync<string>("c => getComputedStyle(c).opacity"));
        await session.TabToAsync("tbody tr:first-child cam-cell[data-model-id='colour32'] .prediction[data-index='3']");
        await page.Keyboard.PressAsync("Enter");
        await session.WaitForSettledCellsAsync(6);
        Assert.Contains("Explains dark #3", await cell.Locator("[data-target]").TextContentAsync());
        Assert.Equal(13, session.CamRequests);
        // The keyboard stays on the entry it pressed.
        Assert.Equal("3", await page.EvaluateAsync<string>("() => document.activeElement.dataset.index"));

        await session.ScreenshotAsync("keyboard");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task ContentSecurityPolicy_AllowsOnlyThisOrigin()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        // A header, not a meta tag: only a header can forbid framing (frame-ancestors).
        var answer = await page.APIRequest.GetAsync("/");
        Assert.True(answer.Headers.TryGetValue("content-security-policy", out var policy), "The page comes without a Content-Security-Policy header.");
        Assert.Contains("default-src 'self'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("style-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe", policy);
        // The page has no inline script or style of its own.
        var html = await answer.TextAsync();
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
        Assert.DoesNotMatch(@"<style|\sstyle=|\son[a-z]+=", html);

        // And the browser enforces it: an injected inline script does not run.
        var ran = await page.EvaluateAsync<bool>(
            """
            () => {
              const script = document.createElement('script');
              script.textContent = 'window.inlineScriptRan = true';
              document.head.append(script);
              return window.inlineScriptRan === true;
            }
            """);
        Assert.False(ran);
        session.AssertNoErrors("inline script violates the following Content Security Policy directive 'script-src 'self''");
    }

    [Fact]
    public async Task SwaggerUi_WorksUnderItsContentSecurityPolicy()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        var answer = await page.GotoAsync("/swagger/index.html");
        // Every operation is drawn: Swagger UI's bundle ran and fetched the document under its policy.
        await page.Locator(".opblock-summary-path[data-path='/cam']").First.WaitForAsync();

        Assert.NotNull(answer);
        Assert.Contains("frame-ancestors 'none'", await answer.HeaderValueAsync("content-security-policy"));
        Assert.True(await page.Locator(".opblock").CountAsync() >= 5);
        await session.ScreenshotAsync("swagger");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task NarrowViewport_HasNoHorizontalPageOverflow()
    {
        await using var session = await OpenWithGridAsync(width: 375, height: 800);
        var page = session.Page;

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            $"The page is {await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")} px wide in a 375 px viewport.");
        // The grid scrolls inside its own box instead.
        Assert.True(await page.Locator(".grid-scroll").EvaluateAsync<bool>("box => box.scrollWidth > box.clientWidth"));

        await session.ScreenshotAsync("narrow-375");
        session.AssertNoErrors();
    }
}
