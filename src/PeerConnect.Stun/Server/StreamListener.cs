using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// Accepts TCP (or TLS) connections on one endpoint and answers the STUN requests framed on each
/// (RFC 8489 §6.2.2, §6.2.3), one at a time per connection, in order. A packet handler may take a connection over
/// after a response (<see cref="StunClientLink.HandOff"/>): the loop then gives it the stream and stops framing.
/// </summary>
internal sealed class StreamListener : IDisposable
{
    private readonly Socket _listenSocket;
    private readonly StunTransportProtocol _transport;
    private readonly X509Certificate2? _certificate;
    private readonly StunRequestProcessor _processor;
    private readonly StunServerMetrics _metrics;
    private readonly StunServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ListenerView _view;
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private long _nextConnectionId;

    private StreamListener(Socket listenSocket, StunTransportProtocol transport, X509Certificate2? certificate, StunRequestProcessor processor, StunServerMetrics metrics, StunServerOptions options, TimeProvider time, ILogger logger)
    {
        _listenSocket = listenSocket;
        _transport = transport;
        _certificate = certificate;
        _processor = processor;
        _metrics = metrics;
        _options = options;
        _time = time;
        _logger = logger;
        _view = ListenerView.Plain(transport);
        LocalEndPoint = (IPEndPoint)listenSocket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public StunTransportProtocol Transport => _transport;

    /// <exception cref="SocketException">The endpoint is taken or not local.</exception>
    public static StreamListener Bind(IPEndPoint endPoint, StunTransportProtocol transport, X509Certificate2? certificate, StunRequestProcessor processor, StunServerMetrics metrics, StunServerOptions options, TimeProvider time, ILogger logger)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(endPoint);
            socket.Listen(512);
            return new StreamListener(socket, transport, certificate, processor, metrics, options, time, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listenSocket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException e)
            {
                StunServerLog.ReceiveError(_logger, e, _transport, LocalEndPoint);
                continue;
            }
            if (_connections.Count >= _options.MaxStreamConnections)
            {
                _metrics.ConnectionRejected(_transport);
                StunServerLog.ConnectionLimitReached(_logger, _transport, _options.MaxStreamConnections);
                client.Dispose();
                continue;
            }
            long id = Interlocked.Increment(ref _nextConnectionId);
            // Registered before it starts, so a connection that ends at once still finds its entry to remove.
            var serve = new Task<Task>(() => ServeAsync(id, client, cancellationToken));
            _connections[id] = serve.Unwrap();
            serve.Start(TaskScheduler.Default);
        }
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }

    public void Dispose() => _listenSocket.Dispose();

    private async Task ServeAsync(long id, Socket client, CancellationToken cancellationToken)
    {
        _metrics.StreamConnectionOpened(_transport);
        var remote = (IPEndPoint?)client.RemoteEndPoint;
        byte[] receiveBuffer = ArrayPool<byte>.Shared.Rent(_options.MaxMessageLength);
        byte[] sendBuffer = ArrayPool<byte>.Shared.Rent(_options.MaxMessageLength);
        string reason = "closed by client";
        StreamClientLink? link = null;
        try
        {
            client.NoDelay = true;
            await using var stream = await OpenStreamAsync(client, cancellationToken).ConfigureAwait(false);
            link = new StreamClientLink(stream, _transport, _options.StreamIdleTimeout, _time);
            byte[] remoteAddress = new byte[16];
            remote!.Address.TryWriteBytes(remoteAddress, out int addressLength);
            while (true)
            {
                int length;
                var idle = link.BeginIdleWait();
                try
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle);
                    length = await StunStreamFramer.ReadMessageAsync(stream, receiveBuffer.AsMemory(0, _options.MaxMessageLength), linked.Token, _processor.AcceptsChannelData).ConfigureAwait(false);
                }
                finally
                {
                    link.EndIdleWait();
                }
                if (length == 0)
                {
                    break;
                }
                var outcome = _processor.Process(receiveBuffer.AsSpan(0, length), remoteAddress.AsSpan(0, addressLength), remote.Port, _view, sendBuffer.AsSpan(0, _options.MaxMessageLength), link);
                // Through the link: relayed data from other threads shares the stream (TURN).
                if (outcome.Kind == StunOutcomeKind.Respond && !link.Write(sendBuffer.AsSpan(0, outcome.Length)))
                {
                    reason = "write failed";
                    break;
                }
                if (link.TakeOver is { } takeOver)
                {
                    // The handler owns the stream from here (RFC 6062 §5.4 data connection); no more STUN framing.
                    await takeOver(stream, cancellationToken).ConfigureAwait(false);
                    reason = "handed-over connection ended";
                    break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            // Once the framing is lost the rest of the stream cannot be read.
            _metrics.Malformed(_transport);
            reason = e.Message;
        }
        catch (OperationCanceledException)
        {
            reason = cancellationToken.IsCancellationRequested ? "server stopping" : "idle";
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            reason = e.Message;
        }
        finally
        {
            if (link is not null)
            {
                _processor.LinkClosed(link);
            }
            StunServerLog.ConnectionClosed(_logger, _transport, remote, reason);
            client.Dispose();
            ArrayPool<byte>.Shared.Return(receiveBuffer);
            ArrayPool<byte>.Shared.Return(sendBuffer);
            _metrics.StreamConnectionClosed(_transport);
            _connections.TryRemove(id, out _);
        }
    }

    private async Task<Stream> OpenStreamAsync(Socket client, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(client, ownsSocket: true);
        if (_transport != StunTransportProtocol.Tls)
        {
            return network;
        }
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            using var deadline = new CancellationTokenSource(_options.StreamIdleTimeout, _time);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
