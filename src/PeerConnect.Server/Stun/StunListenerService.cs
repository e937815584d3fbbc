using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using PeerConnect.Stun.Server;

namespace PeerConnect.Server.Stun;

/// <summary>Runs the library's <see cref="StunServer"/> for the lifetime of the host.</summary>
internal sealed class StunListenerService(
    IOptions<TurnListenerOptions> options,
    ILoggerFactory loggerFactory,
    IMeterFactory meterFactory,
    TimeProvider? timeProvider = null) : IHostedService, IAsyncDisposable
{
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    /// <summary>The running server, once started; tests read its bound endpoints.</summary>
    public StunServer? Server { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }
        _certificate = StunServerOptionsMapper.LoadCertificate(settings);
        Server = new StunServer(
            StunServerOptionsMapper.ToServerOptions(settings, _certificate),
            loggerFactory,
            timeProvider ?? TimeProvider.System,
            methodHandler: null,
            meterFactory);
        await Server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Server is not null)
        {
            await Server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync().ConfigureAwait(false);
        }
        _certificate?.Dispose();
    }
}
