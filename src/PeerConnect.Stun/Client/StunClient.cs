using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Client;

/// <summary>
/// STUN client over a datagram transport: runs request transactions with RFC 8489 §6.2.1 retransmissions and
/// matches responses by transaction id, whichever address they come from (RFC 5780 CHANGE-REQUEST answers arrive
/// from the server's other address).
/// </summary>
/// <remarks>
/// The client owns the transport's receive loop. Datagrams that are not responses to a pending transaction are dropped.
/// </remarks>
public sealed class StunClient : IAsyncDisposable
{
    private readonly IDatagramTransport _transport;
    private readonly bool _ownsTransport;
    private readonly StunClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TransactionId, StunClientTransaction> _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _receiveLoop;

    /// <summary>Creates a client on <paramref name="transport"/> and starts reading from it.</summary>
    /// <param name="transport">The datagram transport; the client reads every datagram from it.</param>
    /// <param name="options">Timers and limits; defaults to RFC 8489's values.</param>
    /// <param name="timeProvider">Clock for retransmissions and round-trip times; defaults to the system clock.</param>
    /// <param name="loggerFactory">Logging; defaults to none.</param>
    /// <param name="ownsTransport">Whether disposing the client disposes the transport.</param>
    public StunClient(
        IDatagramTransport transport,
        StunClientOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        bool ownsTransport = false)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new StunClientOptions();
        _options.Validate();
        _transport = transport;
        _ownsTransport = ownsTransport;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StunClient>();
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Creates a client on a new UDP socket bound to an ephemeral port of the wildcard address of <paramref name="family"/>.</summary>
    /// <param name="family">IPv4 or IPv6; must match the servers the client talks to.</param>
    /// <param name="options">Timers and limits; defaults to RFC 8489's values.</param>
    /// <param name="timeProvider">Clock; defaults to the system clock.</param>
    /// <param name="loggerFactory">Logging; defaults to none.</param>
    public static StunClient CreateUdp(AddressFamily family, StunClientOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null) =>
        new(UdpDatagramTransport.BindAny(family), options, timeProvider, loggerFactory, ownsTransport: true);

    /// <summary>The local address and port requests are sent from.</summary>
    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Sends a Binding request to <paramref name="server"/> and reads the reflexive address from the answer.</summary>
    /// <param name="server">The STUN server.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <exception cref="StunTimeoutException">No response after Rc transmissions and the final Rm·RTO wait.</exception>
    /// <exception cref="StunErrorResponseException">The server answered with an error.</exception>
    /// <exception cref="StunInvalidResponseException">The answer has no mapped address.</exception>
    public Task<StunBindingResult> BindingAsync(IPEndPoint server, CancellationToken cancellationToken = default) =>
        BindingAsync(server, BindingRequestOptions.None, cancellationToken);

    /// <summary>Sends a Binding request with RFC 5780 attributes to <paramref name="server"/>.</summary>
    /// <param name="server">The STUN server.</param>
    /// <param name="request">CHANGE-REQUEST flags and RESPONSE-PORT.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <exception cref="StunTimeoutException">No response after Rc transmissions and the final Rm·RTO wait.</exception>
    /// <exception cref="StunErrorResponseException">The server answered with an error.</exception>
    /// <exception cref="StunInvalidResponseException">The answer has no mapped address.</exception>
    public async Task<StunBindingResult> BindingAsync(IPEndPoint server, BindingRequestOptions request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new byte[BindingMessages.MaxRequestLength];
        var id = TransactionId.NewRandom();
        int length = BindingMessages.WriteRequest(buffer, id, request, _options.Software);
        var response = await SendRequestAsync(buffer.AsMemory(0, length), server, cancellationToken).ConfigureAwait(false);
        return BindingMessages.ReadResult(response);
    }

    /// <summary>Runs a transaction for an already encoded request (any method) and returns the matching response, success or error.</summary>
    /// <param name="request">A STUN request; its transaction id (bytes 8–19) is what responses are matched on. Not copied: keep it unchanged until the task completes.</param>
    /// <param name="server">Where to send it.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <exception cref="StunTimeoutException">No response after Rc transmissions and the final Rm·RTO wait.</exception>
    /// <exception cref="ArgumentException"><paramref name="request"/> is not a STUN request, or its transaction id is already in use.</exception>
    public async Task<StunResponse> SendRequestAsync(ReadOnlyMemory<byte> request, EndPoint server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        if (!StunMessageReader.TryParse(request.Span, out var reader, out _) || reader.Class != StunMessageClass.Request)
        {
            throw new ArgumentException("Not a STUN request.", nameof(request));
        }
        var transaction = new StunClientTransaction(reader.TransactionId, request, server, SendAsync, _options, _time);
        if (!_pending.TryAdd(transaction.Id, transaction))
        {
            throw new ArgumentException($"Transaction {transaction.Id} is already pending.", nameof(request));
        }
        try
        {
            StunClientLog.TransactionStarted(_logger, transaction.Id, server);
            transaction.Start(cancellationToken);
            return await transaction.Completion.ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(transaction.Id, out _);
            transaction.Dispose();
        }
    }

    /// <summary>Stops the receive loop, fails pending transactions and, when owned, disposes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_ownsTransport)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var transaction in _pending.Values)
        {
            transaction.Fail(new ObjectDisposedException(nameof(StunClient)));
        }
        _stopping.Dispose();
    }

    private ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote) =>
        _transport.SendAsync(datagram, remote, _stopping.Token);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[_options.MaxResponseLength];
        while (!_stopping.IsCancellationRequested)
        {
            DatagramReceiveResult received;
            try
            {
                received = await _transport.ReceiveAsync(buffer, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
            {
                return;
            }
            Dispatch(buffer.AsSpan(0, received.Count), received.RemoteEndPoint);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        if (!StunMessageReader.TryParse(datagram, out var reader, out var error))
        {
            StunClientLog.DroppedUnparseable(_logger, source, error);
            return;
        }
        if (reader.Class is not (StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse))
        {
            return;
        }
        if (!_pending.TryGetValue(reader.TransactionId, out var transaction) || !transaction.TryComplete(datagram, source))
        {
            StunClientLog.DroppedUnmatched(_logger, source, reader.TransactionId);
        }
    }
}
