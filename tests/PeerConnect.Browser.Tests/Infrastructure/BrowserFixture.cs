using Microsoft.Playwright;

namespace PeerConnect.Browser.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium for the whole suite, with a fake camera and microphone and permission prompts
/// answered yes. Each page gets its own browser context, so two pages in a test are two independent tabs.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's <c>chromium</c> package; Playwright's own browser downloads are not used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // Without these Chromium's own outbound connections (updates, sync) are refused here and slow it down.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Gather host candidates on 127.0.0.1 too, so calls stay on loopback.
        "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required",
    ];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install chromium (scripts/test.sh does).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = Arguments,
            Timeout = (float)Timeouts.Generous.TotalMilliseconds,
        });
    }

    /// <summary>A fresh tab (own context: cookies, storage, media permissions) with a desktop-sized viewport.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Permissions = ["camera", "microphone"],
        });
        context.SetDefaultTimeout((float)Timeouts.Generous.TotalMilliseconds);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    /// <summary>All browser tests share one Chromium and run one at a time: they are heavy on two cores.</summary>
    public const string Name = "browser";
}
