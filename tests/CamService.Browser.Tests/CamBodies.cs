using Microsoft.Playwright;

namespace CamService.Browser.Tests;

/// <summary>
/// The bodies of the POST /cam requests a page sends, as Latin-1 text, so that tests can match the multipart
/// fields (the photo's bytes come through unchanged). Pass <see cref="RouteAsync"/> as the session's beforeLoad.
/// </summary>
public sealed class CamBodies
{
    readonly List<string> bodies = [];

    /// <summary>Every body so far, in the order sent.</summary>
    public IReadOnlyList<string> All
    {
        get
        {
            lock (bodies)
            {
                return [.. bodies];
            }
        }
    }

    public Task RouteAsync(IPage page) => page.RouteAsync("**/cam", async route =>
    {
        lock (bodies)
        {
            bodies.Add(System.Text.Encoding.Latin1.GetString(route.Request.PostDataBuffer ?? []));
        }
        await route.ContinueAsync();
    });
}
