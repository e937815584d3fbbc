using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun;
using PeerConnect.Stun.Client;

namespace PeerConnect.Turn.Client;

/// <summary>
/// Runs the client's TURN requests on <see cref="StunClientTransaction"/> (RFC 8489 §6.2 retransmissions over UDP,
/// one send bounded by Ti over TCP/TLS) and answers the long-term credential challenges: a 401 to an unsigned
/// request is retried once with the REALM and NONCE it carried, a 438 with the fresh NONCE (RFC 8489 §9.2.5,
/// RFC 8656 §7.2 step 1). Requests come from the client's serial owner; responses from its receive loop.
/// </summary>
internal sealed class TurnTransactionRunner
{
    /// <summary>A server that keeps answering 438 is broken or hostile; give up after this many fresh nonces.</summary>
    private const int MaxStaleNonceRetries = 3;

    // Room for SOFTWARE (≤ 763 bytes, RFC 8489 §14.14), USERNAME (≤ 513), REALM and NONCE (≤ 763 each),
    // PASSWORD-ALGORITHMS, integrity and FINGERPRINT, beyond the method's own attributes.
    private const int MaxCommonAttributesLength = 3 * 1024;

    private readonly ConcurrentDictionary<TransactionId, PendingRequest> _pending = new();
    private readonly Func<ReadOnlyMemory<byte>, EndPoint, ValueTask> _send;
    private readonly IPEndPoint _server;
    private readonly StunClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _aborted = new();

    public TurnTransactionRunner(
        Func<ReadOnlyMemory<byte>, EndPoint, ValueTask> send,
        IPEndPoint server,
        StunClientOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _send = send;
        _server = server;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Credentials for the allocation; set once before the first Allocate.</summary>
    public LongTermAuthenticator? Authenticator { get; set; }

    /// <summary>Runs <paramref name="request"/> to a success response, answering 401 and 438 on the way.</summary>
    /// <returns>The whole success response.</returns>
    /// <exception cref="StunErrorResponseException">The server refused the request.</exception>
    /// <exception cref="StunTimeoutException">No response (RFC 8489 §6.2).</exception>
    /// <exception cref="TurnAllocationLostException">The connection to the server is gone.</exception>
    public async Task<ReadOnlyMemory<byte>> ExecuteAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        LongTermAuthenticator auth = Authenticator ?? throw new InvalidOperationException("No credentials set.");
        int staleNonces = 0;
        while (true)
        {
            bool signed = auth.HasChallenge;
            StunResponse response = await RunAsync(request, auth, cancellationToken).ConfigureAwait(false);
            StunMessageReader reader = StunMessageReader.Parse(response.Message.Span);
            if (reader.Class == StunMessageClass.SuccessResponse)
            {
                return response.Message;
            }

            // OnResponse let through only error responses with a readable ERROR-CODE.
            reader.TryGetErrorCode(out int code, out string reason);
            bool retry = code switch
            {
                StunErrorCodes.Unauthorized => !signed && auth.TryAcceptChallenge(reader),
                StunErrorCodes.StaleNonce => staleNonces++ < MaxStaleNonceRetries && auth.TryAcceptChallenge(reader),
                _ => false,
            };
            if (!retry)
            {
                throw new StunErrorResponseException(code, reason);
            }

            TurnClientLog.Challenged(_logger, request.Method, code, auth.Realm);
        }
    }

    /// <summary>
    /// Hands a response from the receive loop to its transaction. Responses that do not fit are dropped as if never
    /// received, so the transaction keeps waiting for the real one: unknown transaction id, another method, a failed
    /// or missing integrity check (RFC 8489 §9.2.5), an error without ERROR-CODE, or a success the method cannot use.
    /// </summary>
    public void OnResponse(StunMessageReader response, IPEndPoint source)
    {
        if (!_pending.TryGetValue(response.TransactionId, out PendingRequest? pending))
        {
            TurnClientLog.DroppedResponse(_logger, response.TransactionId, "no pending request");
            return;
        }

        string? problem =
            response.Method != pending.Request.Method ? $"a {response.Method} response to a {pending.Request.Method} request"
            : !LongTermAuthenticator.IsAuthentic(response, pending.Key) ? "integrity check failed"
            : response.Class == StunMessageClass.ErrorResponse && !response.TryGetErrorCode(out _, out _) ? "error response without ERROR-CODE"
            : response.Class == StunMessageClass.SuccessResponse && !pending.Request.IsUsableSuccess(response) ? "success response missing required attributes"
            : null;
        if (problem is not null)
        {
            TurnClientLog.DroppedResponse(_logger, response.TransactionId, problem);
            return;
        }

        pending.Transaction.TryComplete(response.Message, source);
    }

    /// <summary>Fails every pending and future request: the connection is gone.</summary>
    public void Abort() => _aborted.Cancel();

    private async Task<StunResponse> RunAsync(TurnRequest request, LongTermAuthenticator auth, CancellationToken cancellationToken)
    {
        var buffer = new byte[StunConstants.HeaderLength + request.MaxAttributesLength + MaxCommonAttributesLength];
        var id = TransactionId.NewRandom();
        var writer = new StunMessageWriter(buffer, new StunMessageType(request.Method, StunMessageClass.Request), id);
        if (_options.Software is not null)
        {
            writer.WriteString(StunAttributeType.Software, _options.Software);
        }

        request.WriteAttributes(ref writer);
        auth.Sign(ref writer);
        writer.WriteFingerprint();

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _aborted.Token);
        var transaction = new StunClientTransaction(id, buffer.AsMemory(0, writer.Length), _server, _send, _options, _time);
        _pending[id] = new PendingRequest(request, transaction, auth.Key);
        try
        {
            transaction.Start(linked.Token);
            return await transaction.Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (_aborted.IsCancellationRequested)
        {
            throw new TurnAllocationLostException("The connection to the TURN server is gone.", e);
        }
        finally
        {
            _pending.TryRemove(id, out _);
            transaction.Dispose();
        }
    }

    private sealed record PendingRequest(TurnRequest Request, StunClientTransaction Transaction, byte[]? Key);
}
