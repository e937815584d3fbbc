using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// A STUN server (RFC 8489 Binding over UDP, TCP and TLS, IPv4 and IPv6) with optional RFC 5780 NAT behaviour
/// discovery. Other methods go to an <see cref="IStunMethodHandler"/>, which is where TURN plugs in.
/// </summary>
public sealed class StunServer : IAsyncDisposable
{
    /// <summary>How many times a port-0 RFC 5780 quartet is re-bound when Port+1 turns out to be taken.</summary>
    private const int QuartetBindAttempts = 20;

    private readonly StunServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly StunServerMetrics _metrics;
    private readonly StunRequestProcessor _processor;
    private readonly List<UdpSocketGroup> _udpGroups = [];
    private readonly List<StreamListener> _streamListeners = [];
    private readonly List<Task> _loops = [];
    private UdpSocketGroup[]? _quartet;
    private CancellationTokenSource? _stopping;

    /// <summary>Creates a server; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Listeners and behaviour; validated now.</param>
    /// <param name="loggerFactory">Logging; defaults to none.</param>
    /// <param name="timeProvider">Clock for connection timeouts; defaults to the system clock.</param>
    /// <param name="methodHandler">Answers methods other than Binding (TURN); without one they get 400.</param>
    /// <param name="meterFactory">Creates the <c>PeerConnect.Stun</c> meter; defaults to a meter of the server's own.</param>
    /// <param name="packetHandler">
    /// Takes every non-Binding message, indications and ChannelData included (TURN); when set, <paramref name="methodHandler"/> is not consulted.
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public StunServer(
        StunServerOptions options,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IStunMethodHandler? methodHandler = null,
        IMeterFactory? meterFactory = null,
        IStunPacketHandler? packetHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StunServer>();
        _time = timeProvider ?? TimeProvider.System;
        _metrics = new StunServerMetrics(meterFactory);
        _processor = new StunRequestProcessor(options, methodHandler, _metrics, _logger, packetHandler);
    }

    /// <summary>The UDP endpoints answering plain Binding requests (one per listen address; RFC 5780's alternates are in <see cref="OtherAddresses"/>).</summary>
    public IReadOnlyList<IPEndPoint> UdpEndPoints { get; private set; } = [];

    /// <summary>The TCP endpoints.</summary>
    public IReadOnlyList<IPEndPoint> TcpEndPoints { get; private set; } = [];

    /// <summary>The TLS endpoints (empty without a certificate).</summary>
    public IReadOnlyList<IPEndPoint> TlsEndPoints { get; private set; } = [];

    /// <summary>For RFC 5780: the alternate address and port (OTHER-ADDRESS of the primary endpoint); empty otherwise.</summary>
    public IReadOnlyList<IPEndPoint> OtherAddresses { get; private set; } = [];

    /// <summary>The meter the counters are on; for tests that listen to it.</summary>
    internal Meter Meter => _metrics.Meter;

    /// <summary>Binds every listener and starts the receive loops.</summary>
    /// <param name="cancellationToken">Unused beyond an early check: binding does not wait.</param>
    /// <exception cref="SocketException">A port is taken or an address is not local; nothing stays bound.</exception>
    /// <exception cref="InvalidOperationException">The server is already started.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The STUN server is already started.");
        }
        try
        {
            BindAll();
        }
        catch
        {
            CloseAll();
            throw;
        }
        _stopping = new CancellationTokenSource();
        StartLoops(_stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Closes every socket and waits for the loops and open connections to end.</summary>
    /// <param name="cancellationToken">Stops waiting for the loops.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        // Hosts stop a service and then dispose it, sometimes overlapping: only the first caller stops.
        var stopping = Interlocked.Exchange(ref _stopping, null);
        if (stopping is null)
        {
            return;
        }
        await stopping.CancelAsync().ConfigureAwait(false);
        CloseAll();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        _loops.Clear();
        stopping.Dispose();
        StunServerLog.Stopped(_logger);
    }

    /// <summary>Stops the server and releases its meter.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    private void BindAll()
    {
        var udp = new List<IPEndPoint>();
        var other = new List<IPEndPoint>();
        foreach (var address in _options.ListenAddresses)
        {
            if (!_options.EnableUdp)
            {
                continue;
            }
            if (address.Equals(_options.PrimaryForAlternate))
            {
                var quartet = BindQuartet(address, _options.AlternateAddress!);
                udp.Add(quartet[0].LocalEndPoint);
                other.Add(quartet[3].LocalEndPoint);
                StunServerLog.BehaviorDiscoveryEnabled(_logger, quartet[0].LocalEndPoint, quartet[3].LocalEndPoint);
            }
            else
            {
                var group = UdpSocketGroup.Bind(new IPEndPoint(address, _options.Port), _options.ReceiveLoops, _options.UdpSocketBufferBytes);
                _udpGroups.Add(group);
                udp.Add(group.LocalEndPoint);
            }
        }
        var tcp = new List<IPEndPoint>();
        var tls = new List<IPEndPoint>();
        foreach (var address in _options.ListenAddresses)
        {
            if (_options.EnableTcp)
            {
                tcp.Add(BindStream(new IPEndPoint(address, _options.Port), StunTransportProtocol.Tcp));
            }
            if (_options.Certificate is not null)
            {
                tls.Add(BindStream(new IPEndPoint(address, _options.TlsPort), StunTransportProtocol.Tls));
            }
        }
        UdpEndPoints = udp;
        OtherAddresses = other;
        TcpEndPoints = tcp;
        TlsEndPoints = tls;
    }

    /// <summary>
    /// Binds RFC 5780's four UDP endpoints: primary and alternate IP, each on Port and Port+1, indexed [ip * 2 + port].
    /// With Port 0 the system picks P for the first; P+1 may be taken, so the whole quartet is retried.
    /// </summary>
    private UdpSocketGroup[] BindQuartet(IPAddress primary, IPAddress alternate)
    {
        for (int attempt = 1; ; attempt++)
        {
            var groups = new List<UdpSocketGroup>(4);
            try
            {
                groups.Add(UdpSocketGroup.Bind(new IPEndPoint(primary, _options.Port), _options.ReceiveLoops, _options.UdpSocketBufferBytes));
                int port = groups[0].LocalEndPoint.Port;
                groups.Add(UdpSocketGroup.Bind(new IPEndPoint(primary, port + 1), _options.ReceiveLoops, _options.UdpSocketBufferBytes));
                groups.Add(UdpSocketGroup.Bind(new IPEndPoint(alternate, port), _options.ReceiveLoops, _options.UdpSocketBufferBytes));
                groups.Add(UdpSocketGroup.Bind(new IPEndPoint(alternate, port + 1), _options.ReceiveLoops, _options.UdpSocketBufferBytes));
            }
            catch (SocketException e) when (_options.Port == 0 && attempt < QuartetBindAttempts && e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                groups.ForEach(g => g.Dispose());
                continue;
            }
            catch
            {
                groups.ForEach(g => g.Dispose());
                throw;
            }
            var quartet = groups.ToArray();
            var endPoints = Array.ConvertAll(quartet, g => g.LocalEndPoint);
            for (int i = 0; i < 4; i++)
            {
                quartet[i].View = ListenerView.ForRfc5780(endPoints, i / 2, i % 2);
            }
            _udpGroups.AddRange(quartet);
            _quartet = quartet;
            return quartet;
        }
    }

    private IPEndPoint BindStream(IPEndPoint endPoint, StunTransportProtocol transport)
    {
        var listener = StreamListener.Bind(endPoint, transport, _options.Certificate, _processor, _metrics, _options, _time, _logger);
        _streamListeners.Add(listener);
        return listener.LocalEndPoint;
    }

    private void StartLoops(CancellationToken stopping)
    {
        int loopsPerSocket = UdpSocketGroup.LoopsPerSocket(_options.ReceiveLoops);
        foreach (var group in _udpGroups)
        {
            int index = _quartet is null ? -1 : Array.IndexOf(_quartet, group);
            var quartet = index >= 0 ? _quartet : null;
            foreach (var socket in group.Sockets)
            {
                for (int i = 0; i < loopsPerSocket; i++)
                {
                    var loop = new UdpReceiveLoop(socket, group, quartet, Math.Max(index, 0) / 2, Math.Max(index, 0) % 2, _processor, _metrics, _logger, _options.MaxMessageLength);
                    _loops.Add(Task.Factory.StartNew(() => loop.Run(stopping), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
                }
            }
            StunServerLog.Listening(_logger, StunTransportProtocol.Udp, group.LocalEndPoint);
        }
        foreach (var listener in _streamListeners)
        {
            _loops.Add(Task.Run(() => listener.RunAsync(stopping), CancellationToken.None));
            StunServerLog.Listening(_logger, listener.Transport, listener.LocalEndPoint);
        }
    }

    private void CloseAll()
    {
        _udpGroups.ForEach(g => g.Dispose());
        _udpGroups.Clear();
        _streamListeners.ForEach(l => l.Dispose());
        _streamListeners.Clear();
        _quartet = null;
    }
}
