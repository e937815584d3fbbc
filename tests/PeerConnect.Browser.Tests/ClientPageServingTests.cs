using System.Net;
using PeerConnect.Browser.Tests.Infrastructure;

namespace PeerConnect.Browser.Tests;

/// <summary>The server hands out the page and the module over plain HTTP (no browser needed).</summary>
public sealed class ClientPageServingTests
{
    [Fact]
    public async Task RootServesTheCallPageAndTheModulesAsJavaScript()
    {
        await using var server = CallServer.Start();
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var page = await http.GetAsync("/?room=demo");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"call.js\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl?.NoCache);

        foreach (var module in new[] { "/peerconnect.js", "/call.js", "/stats.js" })
        {
            using var script = await http.GetAsync(module);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task DisabledClientPageServesNothing()
    {
        await using var server = CallServer.Start(new Dictionary<string, string?> { ["PeerConnect:ClientPage:Enabled"] = "false" });
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/peerconnect.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }
}
