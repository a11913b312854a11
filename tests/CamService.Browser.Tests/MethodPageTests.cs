using Microsoft.Playwright;

namespace CamService.Browser.Tests;

/// <summary>The method picker, and the grid comparing methods for one model as well as models for one method.</summary>
[Collection(PageCollection.Name)]
public sealed class MethodPageTests(PageFixture fixture)
{
    static readonly string[] Models = PageServer.ReadyModels;

    static readonly string[] Methods = [.. PageServer.Methods.Names];

    const string Other = MeanActivationCam.Id;

    [Fact]
    public async Task Picker_ListsTheServicesMethods_GradCamTickedAtFirst()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        var cards = page.Locator(".method-card");
        await Assertions.Expect(cards).ToHaveCountAsync(Methods.Length);

        Assert.Equal(Methods, await cards.EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.method)"));
        foreach (var method in PageServer.Methods.All)
        {
            var card = page.Locator($".method-card[data-method='{method.Name}']");
            Assert.Equal(method.Name == "gradcam", await card.Locator("input[type=checkbox]").IsCheckedAsync());
            Assert.Equal(method.Description, await card.Locator(".method-description").TextContentAsync());
            Assert.False(string.IsNullOrWhiteSpace(await card.Locator(".badge-cost").TextContentAsync()));
        }
        Assert.Equal("one pass", await page.Locator($".method-card[data-method='{Other}'] .badge-cost").TextContentAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task TwoMethods_ThreeModels_OneRequestPerPhoto_NamingEveryModelAndMethod()
    {
        var recorded = new CamBodies();
        await using var session = await fixture.OpenAsync(beforeLoad: recorded.RouteAsync);
        var page = session.Page;
        await page.Locator($".method-card[data-method='{Other}'] input").CheckAsync();
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(12);

        Assert.Equal(12, await page.Locator("cam-cell[data-state='done']").CountAsync());
        // Models outer, each over its methods' columns.
        Assert.Equal(Models, await page.Locator("cam-grid thead th.model-head").EvaluateAllAsync<string[]>("heads => heads.map(h => h.dataset.modelId)"));
        Assert.Equal(Models.SelectMany(_ => new[] { "gradcam", Other }),
            await page.Locator("cam-grid thead th.method-head").AllTextContentsAsync());
        Assert.Equal(Models.SelectMany(model => new[] { model, model }),
            await page.Locator("table.cam-grid > tbody > tr").First.Locator("cam-cell").EvaluateAllAsync<string[]>("cells => cells.map(c => c.dataset.modelId)"));

        Assert.Equal(2, session.CamRequests);
        Assert.Equal(2, recorded.All.Count);
        foreach (var body in recorded.All)
        {
            Assert.Matches("name=\"models\"\\s+colour32,colour48,colour64\\s", body);
            Assert.Matches($"name=\"method\"\\s+gradcam,{Other}\\s", body);
        }
        session.AssertNoErrors();
    }

    [Fact]
    public async Task OneModel_ComparesMethods_EachCellSayingItsMethodAndTarget()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.AddImagesAsync(Photos.Red(), Photos.Dark());
        await session.WaitForSettledCellsAsync(6);

        // One model: untick the others, which asks for nothing (with agreement off: two models would ask for theirs).
        await page.Locator("input[name=agreement]").UncheckAsync();
        foreach (var model in Models.Skip(1))
        {
            await page.Locator($".model-card[data-model-id='{model}'] input").UncheckAsync();
        }
        await session.WaitForSettledCellsAsync(2);
        Assert.Equal(2, session.CamRequests);

        // A second method: a column of its own, one request per photo for its cells only.
        await page.Locator($".method-card[data-method='{Other}'] input").CheckAsync();
        await session.WaitForSettledCellsAsync(4);
        Assert.Equal(4, session.CamRequests);
        Assert.Equal(["gradcam", Other], await page.Locator("cam-grid thead th.method-head").AllTextContentsAsync());

        foreach (var (row, top) in new[] { (0, "red"), (1, "dark") })
        {
            foreach (var method in new[] { "gradcam", Other })
            {
                var cell = session.Cell(row, Models[0], method);
                Assert.Equal("done", await cell.GetAttributeAsync("data-state"));
                Assert.Equal(method, await cell.Locator("[data-method]").TextContentAsync());
                Assert.Contains($"Explains {top} #", await cell.Locator("[data-target]").TextContentAsync());
                Assert.StartsWith($"{method} of {Models[0]} for “{top}”", await cell.Locator("canvas").GetAttributeAsync("aria-label"));
            }
        }
        // The two methods draw different maps of the same photo.
        Assert.NotEqual(await session.OverlayCentreAsync(session.Cell(1, Models[0], "gradcam")),
            await session.OverlayCentreAsync(session.Cell(1, Models[0], Other)));

        await session.ScreenshotAsync("methods");

        // Unticking every method empties the grid and says why.
        await page.Locator(".method-card[data-method='gradcam'] input").UncheckAsync();
        await page.Locator($".method-card[data-method='{Other}'] input").UncheckAsync();
        await Assertions.Expect(page.Locator(".grid-empty")).ToHaveTextAsync("Choose at least one method.");
        Assert.Equal(4, session.CamRequests);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Retarget_InAMethodsGrid_AsksForThatCellAlone_WithItsMethod()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await page.Locator($".method-card[data-method='{Other}'] input").CheckAsync();
        await session.AddImagesAsync(Photos.Red());
        await session.WaitForSettledCellsAsync(6);

        var cell = session.Cell(0, "colour32", Other);
        await cell.Locator(".prediction", new LocatorLocatorOptions { HasText = "green" }).ClickAsync();
        await session.WaitForSettledCellsAsync(6);

        Assert.Contains("Explains green #1", await cell.Locator("[data-target]").TextContentAsync());
        Assert.Equal(Other, await cell.Locator("[data-method]").TextContentAsync());
        Assert.DoesNotContain("green", await session.Cell(0, "colour32", "gradcam").Locator("[data-target]").TextContentAsync());
        Assert.Equal(2, session.CamRequests);
        session.AssertNoErrors();
    }
}
