using Microsoft.Playwright;

namespace CamService.Browser.Tests;

/// <summary>One service and one headless Chromium for every page test; each test opens its own page.</summary>
public class PageFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; CAMSERVICE_CHROMIUM names another build.</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("CAMSERVICE_CHROMIUM") ?? "/usr/bin/chromium";

    IPlaywright? playwright;
    IBrowser? browser;

    public PageFixture() : this(new PageServer())
    {
    }

    /// <summary>Another service (other settings) under the same browser.</summary>
    protected PageFixture(PageServer server) => Server = server;

    public PageServer Server { get; }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"No Chromium at {ChromiumPath}. Install Debian's (apt-get install chromium) or set CAMSERVICE_CHROMIUM; test.sh does the former.");
        }
        await Server.StartAsync();
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    /// <summary>A fresh page (its own context) on the service's page, with the models listed.</summary>
    public Task<PageSession> OpenAsync(int width = 1280, int height = 900, Func<IPage, Task>? beforeLoad = null) =>
        PageSession.OpenAsync(browser!, Server.Address, new ViewportSize { Width = width, Height = height }, beforeLoad);

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }
        playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PageCollection : ICollectionFixture<PageFixture>
{
    public const string Name = "Page";
}
