using System.Globalization;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Browser.Tests;

/// <summary>
/// Which map to trust, on the page: the faithfulness metrics per cell (a toggle, off at first), the models'
/// agreement per photo row (on at first), and the animated comparison as a download.
/// </summary>
[Collection(PageCollection.Name)]
public sealed class TrustPageTests(PageFixture fixture)
{
    static readonly string[] Models = PageServer.ReadyModels;

    [Fact]
    public async Task Agreement_PerRow_AModelsByModelsMatrix_AndTheConsensus_InTheRowsOwnRequest()
    {
        var recorded = new CamBodies();
        await using var session = await fixture.OpenAsync(beforeLoad: recorded.RouteAsync);
        var page = session.Page;
        Assert.True(await page.Locator("input[name=agreement]").IsCheckedAsync());
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        // The panels joined the rows' requests: still one per photo, each asking for the agreement.
        Assert.Equal(2, session.CamRequests);
        Assert.All(recorded.All, body => Assert.Matches("name=\"agreement\"\\s+true\\s", body));
        Assert.Equal("Agreement", (await page.Locator("cam-grid thead th.agreement-head").TextContentAsync())?[..9]);
        var panels = page.Locator("cam-grid tbody agreement-panel");
        Assert.Equal(2, await panels.CountAsync());
        for (var row = 0; row < 2; row++)
        {
            var panel = panels.Nth(row);
            Assert.Equal("done", await panel.GetAttributeAsync("data-state"));
            var pairs = panel.Locator(".agreement-pair");
            Assert.Equal(9, await pairs.CountAsync());
            var spearman = new double[3, 3];
            var iou = new double[3, 3];
            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 3; j++)
                {
                    var pair = panel.Locator($".agreement-pair[data-row-model='{Models[i]}'][data-column-model='{Models[j]}']");
                    spearman[i, j] = double.Parse((await pair.GetAttributeAsync("data-spearman"))!, CultureInfo.InvariantCulture);
                    iou[i, j] = double.Parse((await pair.GetAttributeAsync("data-iou"))!, CultureInfo.InvariantCulture);
                    Assert.InRange(spearman[i, j], -1, 1);
                    Assert.InRange(iou[i, j], 0, 1);
                }
            }
            for (var i = 0; i < 3; i++)
            {
                // A model agrees with itself; the matrices are symmetric.
                Assert.Equal(1, spearman[i, i], 6);
                Assert.Equal(1, iou[i, i], 6);
                for (var j = 0; j < 3; j++)
                {
                    Assert.Equal(spearman[i, j], spearman[j, i], 6);
                    Assert.Equal(iou[i, j], iou[j, i], 6);
                }
            }
            // The consensus is blended over the photo: not the grey of a missing picture.
            var consensus = panel.Locator("canvas[aria-label^='Consensus']");
            var centre = await consensus.EvaluateAsync<int[]>(
                "canvas => [...canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data]");
            Assert.Equal(255, centre[3]);
            Assert.True(await panel.Locator("canvas[aria-label^='Disagreement']").IsVisibleAsync());
            // colour48 has random weights: the panel says what that means.
            Assert.Contains(PageServer.UntrainedModel, await panel.Locator(".agreement-note").TextContentAsync());
            Assert.DoesNotContain("null", await panel.TextContentAsync());
        }
        await session.ScreenshotAsync("agreement");

        // Reordering the columns re-orders the matrix and asks for nothing.
        await page.Locator("#model-order").SelectOptionAsync("gigaMacs");
        await page.Locator("#model-order").SelectOptionAsync("parameters");
        await Task.Delay(300);
        Assert.Equal(2, session.CamRequests);

        // Agreement off: the column goes, and nothing is asked.
        await page.Locator("input[name=agreement]").UncheckAsync();
        await Assertions.Expect(page.Locator("agreement-panel")).ToHaveCountAsync(0);
        Assert.Equal(0, await page.Locator("th.agreement-head").CountAsync());
        Assert.Equal(2, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task OneModel_NoAgreementColumn()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        foreach (var model in Models.Skip(1))
        {
            await page.Locator($".model-card[data-model-id='{model}'] input").UncheckAsync();
        }
        await session.AddImagesAsync(Photos.Red());
        await session.WaitForSettledCellsAsync(1);
        Assert.Equal(0, await page.Locator("agreement-panel").CountAsync());
        Assert.Equal(1, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Metrics_Toggle_AsksAgain_AndEachCellListsItsFaithfulness()
    {
        var recorded = new CamBodies();
        await using var session = await fixture.OpenAsync(beforeLoad: recorded.RouteAsync);
        var page = session.Page;
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);
        Assert.Equal(0, await page.Locator("cam-cell [data-metrics]:visible").CountAsync());
        Assert.All(recorded.All, body => Assert.DoesNotContain("name=\"metrics\"", body));

        await page.Locator("input[name=metrics]").CheckAsync();
        await session.WaitForSettledCellsAsync(6);
        await Assertions.Expect(page.Locator("cam-cell [data-metrics]:visible")).ToHaveCountAsync(6);
        // One more request per photo, for every cell and the agreement at once.
        Assert.Equal(4, session.CamRequests);
        Assert.All(recorded.All.Skip(2), body => Assert.Matches("name=\"metrics\"\\s+all\\s", body));

        foreach (var model in Models)
        {
            var metrics = session.Cell(0, model).Locator("[data-metrics]");
            Assert.Equal(["averageDrop", "increase", "deletionAuc", "insertionAuc"],
                await metrics.Locator(".metric").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.metric)"));
            foreach (var auc in new[] { "deletionAuc", "insertionAuc" })
            {
                var value = double.Parse((await metrics.Locator($"[data-metric='{auc}'] dd").TextContentAsync())!.Replace('−', '-'), CultureInfo.InvariantCulture);
                Assert.InRange(value, 0, 1);
            }
            Assert.EndsWith("%", await metrics.Locator("[data-metric='averageDrop'] dd").TextContentAsync());
            Assert.Contains(await metrics.Locator("[data-metric='increase'] dd").TextContentAsync(), new[] { "yes", "no" });
            Assert.Equal(model == PageServer.UntrainedModel, await metrics.Locator(".cell-metrics-note").IsVisibleAsync());
            Assert.DoesNotContain("null", await metrics.TextContentAsync());
        }
        await session.ScreenshotAsync("metrics");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task DownloadAnimation_AGifWithAFramePerModel()
    {
        await using var session = await fixture.OpenAsync();
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        var download = await session.Page.RunAndWaitForDownloadAsync(() =>
            session.Page.Locator("table.cam-grid > tbody > tr:first-child [data-download-animation]").ClickAsync());
        var path = Artifacts.PathOf("downloads", download.SuggestedFilename);
        await download.SaveAsAsync(path);

        Assert.Equal("red_comparison.gif", download.SuggestedFilename);
        using var gif = Image.Load<Rgba32>(path, out var format);
        Assert.Equal(GifFormat.Instance, format);
        Assert.Equal(Models.Length, gif.Frames.Count);
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal("Download animation", await session.Page.Locator("table.cam-grid > tbody > tr:first-child [data-download-animation]").TextContentAsync());
        session.AssertNoErrors();
    }
}
