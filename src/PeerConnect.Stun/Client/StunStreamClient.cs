using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Client;

/// <summary>
/// STUN client over one TCP or TLS connection (RFC 8489 §6.2.2, §6.2.3): no retransmissions, one request at a
/// time, each transaction bounded by Ti.
/// </summary>
public sealed class StunStreamClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly IDisposable? _socket;
    private readonly StunClientOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly byte[] _receiveBuffer;

    /// <summary>Creates a client on an already connected stream; for tests and for transports other than sockets.</summary>
    /// <param name="stream">A connected, readable and writable stream; the client disposes it.</param>
    /// <param name="remoteEndPoint">The server, reported as the response source.</param>
    /// <param name="localEndPoint">The local end, if known.</param>
    /// <param name="options">Timers and limits.</param>
    /// <param name="timeProvider">Clock for Ti and round-trip times.</param>
    public StunStreamClient(Stream stream, IPEndPoint remoteEndPoint, IPEndPoint? localEndPoint = null, StunClientOptions? options = null, TimeProvider? timeProvider = null)
        : this(stream, null, remoteEndPoint, localEndPoint, options, timeProvider)
    {
    }

    private StunStreamClient(Stream stream, IDisposable? socket, IPEndPoint remoteEndPoint, IPEndPoint? localEndPoint, StunClientOptions? options, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        _options = options ?? new StunClientOptions();
        _options.Validate();
        _stream = stream;
        _socket = socket;
        _time = timeProvider ?? TimeProvider.System;
        _receiveBuffer = new byte[_options.MaxResponseLength];
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The server.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The local end of the connection, when known.</summary>
    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>Connects over TCP, and over TLS when <paramref name="tls"/> is given (RFC 8489 §6.2.3).</summary>
    /// <param name="server">The server's address and port.</param>
    /// <param name="tls">TLS client settings (target host, certificate validation); <see langword="null"/> for plain TCP.</param>
    /// <param name="options">Timers and limits; Ti also bounds connecting and the TLS handshake.</param>
    /// <param name="timeProvider">Clock.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="SocketException">The connection was refused or the network is unreachable.</exception>
    /// <exception cref="StunTimeoutException">Connecting took longer than Ti.</exception>
    public static async Task<StunStreamClient> ConnectAsync(
        IPEndPoint server,
        SslClientAuthenticationOptions? tls = null,
        StunClientOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        options ??= new StunClientOptions();
        options.Validate();
        timeProvider ??= TimeProvider.System;
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        using var deadline = new CancellationTokenSource(options.StreamTransactionTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await socket.ConnectAsync(server, linked.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(tls, linked.Token).ConfigureAwait(false);
            }
            var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StunStreamClient>();
            StunClientLog.StreamConnected(logger, server, socket.LocalEndPoint);
            return new StunStreamClient(stream, socket, server, (IPEndPoint?)socket.LocalEndPoint, options, timeProvider);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(stream, socket).ConfigureAwait(false);
            throw new StunTimeoutException($"Connecting to {server} took longer than {options.StreamTransactionTimeout.TotalSeconds} s.", e);
        }
        catch
        {
            await DisposeQuietlyAsync(stream, socket).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends a Binding request and reads the reflexive address from the answer.</summary>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <exception cref="StunTimeoutException">No response within Ti.</exception>
    /// <exception cref="StunErrorResponseException">The server answered with an error.</exception>
    /// <exception cref="StunInvalidResponseException">The answer has no mapped address.</exception>
    public async Task<StunBindingResult> BindingAsync(CancellationToken cancellationToken = default)
    {
        var buffer = new byte[BindingMessages.MaxRequestLength];
        int length = BindingMessages.WriteRequest(buffer, TransactionId.NewRandom(), BindingRequestOptions.None, _options.Software);
        var response = await SendRequestAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        return BindingMessages.ReadResult(response);
    }

    /// <summary>Sends an encoded request and waits for the response with the same transaction id; other messages on the stream are skipped.</summary>
    /// <param name="request">A STUN request.</param>
    /// <param name="cancellationToken">Cancels the transaction; the connection is unusable afterwards.</param>
    /// <exception cref="StunTimeoutException">No response within Ti.</exception>
    /// <exception cref="IOException">The connection failed or the server closed it.</exception>
    /// <exception cref="InvalidDataException">The server sent something that is not STUN.</exception>
    public async Task<StunResponse> SendRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        if (!StunMessageReader.TryParse(request.Span, out var reader, out _) || reader.Class != StunMessageClass.Request)
        {
            throw new ArgumentException("Not a STUN request.", nameof(request));
        }
        var id = reader.TransactionId;
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(_options.StreamTransactionTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            long sentAt = _time.GetTimestamp();
            await _stream.WriteAsync(request, linked.Token).ConfigureAwait(false);
            await _stream.FlushAsync(linked.Token).ConfigureAwait(false);
            while (true)
            {
                int length = await StunStreamFramer.ReadMessageAsync(_stream, _receiveBuffer, linked.Token).ConfigureAwait(false);
                if (length == 0)
                {
                    throw new IOException("The STUN server closed the connection.");
                }
                var message = _receiveBuffer.AsSpan(0, length);
                if (StunMessageReader.TryParse(message, out var response, out _)
                    && response.Class is StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse
                    && response.TransactionId == id)
                {
                    return new StunResponse(message.ToArray(), RemoteEndPoint, _time.GetElapsedTime(sentAt));
                }
            }
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StunTimeoutException($"No response from {RemoteEndPoint} within {_options.StreamTransactionTimeout.TotalSeconds} s.", e);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisposeQuietlyAsync(_stream, _socket).ConfigureAwait(false);
        _oneAtATime.Dispose();
    }

    private static async ValueTask DisposeQuietlyAsync(Stream? stream, IDisposable? socket)
    {
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        socket?.Dispose();
    }
}
