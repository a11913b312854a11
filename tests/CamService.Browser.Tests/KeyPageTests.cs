using System.Security.Cryptography;
using System.Text;

namespace CamService.Browser.Tests;

/// <summary>The service with keys on (Auth:Enabled), under the page tests' browser.</summary>
public sealed class KeyedPageFixture() : PageFixture(new PageServer(new()
{
    ["Auth:Enabled"] = "true",
    ["Auth:ApiKeys:0:Name"] = "page",
    ["Auth:ApiKeys:0:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))),
}))
{
    public const string Key = "cs_page-test-key-0123456789abcdefghijklmno";
}

/// <summary>
/// With keys on, the page lists the models at once (GET is public), asks for a key when the first explanation
/// is refused, asks again when the key is wrong, and explains with the right one, which it keeps for the tab.
/// </summary>
public sealed class KeyPageTests(KeyedPageFixture fixture) : IClassFixture<KeyedPageFixture>
{
    [Fact]
    public async Task KeysOn_ThePageAsksForTheKey_AgainWhenItIsWrong_ThenExplains()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        var dialog = page.Locator("key-dialog dialog");
        var input = page.Locator("[data-key-input]");

        await session.AddImagesAsync(Photos.Red());
        await dialog.WaitForAsync();
        Assert.Equal("", await page.Locator(".key-message").TextContentAsync());
        await input.FillAsync("cs_not-the-key");
        await page.Locator("[data-key-submit]").ClickAsync();
        await page.Locator(".key-message.is-error").WaitForAsync();
        Assert.Contains("not accepted", await page.Locator(".key-message").TextContentAsync());
        Assert.True(await dialog.IsVisibleAsync());

        await input.FillAsync(KeyedPageFixture.Key);
        await input.PressAsync("Enter");
        await session.WaitForSettledCellsAsync(PageServer.ReadyModels.Length);
        Assert.Equal(PageServer.ReadyModels.Length, await page.Locator("cam-cell[data-state='done']").CountAsync());
        Assert.False(await dialog.IsVisibleAsync());
        Assert.Equal(KeyedPageFixture.Key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('camservice-api-key')"));

        // The key is kept: the next photo is explained without asking.
        var asked = session.CamRequests;
        await session.AddImagesAsync(Photos.Dark());
        await session.WaitForSettledCellsAsync(2 * PageServer.ReadyModels.Length);
        Assert.Equal(2 * PageServer.ReadyModels.Length, await page.Locator("cam-cell[data-state='done']").CountAsync());
        Assert.False(await dialog.IsVisibleAsync());
        Assert.True(session.CamRequests > asked);

        session.AssertNoErrors("Failed to load resource: the server responded with a status of 401");
    }

    [Fact]
    public async Task KeysOn_DecliningToGiveAKey_FailsTheCellsSayingWhy()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        await session.AddImagesAsync(Photos.Red());
        await page.Locator("key-dialog dialog").WaitForAsync();
        await page.Keyboard.PressAsync("Escape");
        await session.WaitForSettledCellsAsync(PageServer.ReadyModels.Length);

        Assert.Equal(PageServer.ReadyModels.Length, await page.Locator("cam-cell[data-state='failed']").CountAsync());
        Assert.Contains("API key", await page.Locator("cam-cell[data-state='failed']").First.TextContentAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('camservice-api-key')"));
        session.AssertNoErrors("Failed to load resource: the server responded with a status of 401");
    }
}
