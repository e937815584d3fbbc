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

    /// <summary>The TURN core, when credentials are configured.</summary>
    public PeerConnect.Turn.Server.TurnServer? Turn { get; private set; }

    /// <summary>The TLS certificate in use (loaded or generated), if any.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate => _certificate;

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
        if (_certificate is null && settings.GenerateDevelopmentCertificate)
        {
            _certificate = DevelopmentCertificate.Create(timeProvider ?? TimeProvider.System);
            DevelopmentCertificate.Generated(loggerFactory.CreateLogger<StunListenerService>(), _certificate.Thumbprint, _certificate.NotAfter.ToUniversalTime());
        }
        var time = timeProvider ?? TimeProvider.System;
        if (settings.TurnEnabled)
        {
            Turn = new PeerConnect.Turn.Server.TurnServer(TurnServerOptionsMapper.ToTurnOptions(settings), loggerFactory: loggerFactory, timeProvider: time, meterFactory: meterFactory);
        }
        Server = new StunServer(
            StunServerOptionsMapper.ToServerOptions(settings, _certificate),
            loggerFactory,
            time,
            methodHandler: null,
            meterFactory,
            Turn is null ? null : new PeerConnect.Turn.Server.TurnPacketHandler(Turn));
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
        if (Turn is not null)
        {
            await Turn.DisposeAsync().ConfigureAwait(false);
        }
        _certificate?.Dispose();
    }
}
