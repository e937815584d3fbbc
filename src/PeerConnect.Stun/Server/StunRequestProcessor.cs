using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>What the transport does with one incoming message.</summary>
internal enum StunOutcomeKind
{
    /// <summary>Not a valid STUN message: dropped and counted.</summary>
    Malformed,

    /// <summary>Valid but not answered: indications and stray responses (RFC 8489 §6.3.2, §6.3.3).</summary>
    Ignored,

    /// <summary>Send the response written into the caller's buffer.</summary>
    Respond,
}

/// <summary>The processor's verdict, and for UDP where the response goes (RFC 5780 CHANGE-REQUEST and RESPONSE-PORT).</summary>
internal readonly record struct StunOutcome(StunOutcomeKind Kind, int Length = 0, bool ChangeIp = false, bool ChangePort = false, int ResponsePort = 0)
{
    public static StunOutcome Malformed => new(StunOutcomeKind.Malformed);

    public static StunOutcome Ignored => new(StunOutcomeKind.Ignored);
}

/// <summary>
/// The transport-independent server core: turns one received message into a response in a caller buffer.
/// Binding is answered here (RFC 8489 §6.3, RFC 5780 §6); everything else goes to the <see cref="IStunPacketHandler"/>
/// when there is one, else requests of other methods to the <see cref="IStunMethodHandler"/>.
/// Allocates nothing for Binding.
/// </summary>
internal sealed class StunRequestProcessor(
    StunServerOptions options,
    IStunMethodHandler? methodHandler,
    StunServerMetrics metrics,
    ILogger logger,
    IStunPacketHandler? packetHandler = null)
{
    /// <summary>True when ChannelData frames are to be read off streams and handed on.</summary>
    public bool AcceptsChannelData => packetHandler is not null;

    /// <summary>Tells the packet handler that a connection ended.</summary>
    public void LinkClosed(StunClientLink link) => packetHandler?.LinkClosed(link);

    private const int MaxUnknownAttributesReported = 16;

    /// <param name="message">The received bytes.</param>
    /// <param name="remoteAddress">The client's address, 4 or 16 bytes.</param>
    /// <param name="remotePort">The client's port.</param>
    /// <param name="listener">The socket the message arrived on.</param>
    /// <param name="response">Where the response is written.</param>
    /// <param name="link">The socket or connection, for the packet handler.</param>
    public StunOutcome Process(ReadOnlySpan<byte> message, ReadOnlySpan<byte> remoteAddress, int remotePort, ListenerView listener, Span<byte> response, StunClientLink? link = null)
    {
        if (packetHandler is not null && link is not null && IsChannelData(message))
        {
            return ToPacketHandler(link, message, remoteAddress, remotePort, response);
        }
        if (!StunMessageReader.TryParse(message, out var request, out var error, options.MaxMessageLength))
        {
            return Malformed(listener.Transport, error);
        }
        if (packetHandler is not null && link is not null && request.Method != StunMethod.Binding
            && request.Class is StunMessageClass.Request or StunMessageClass.Indication)
        {
            return ToPacketHandler(link, message, remoteAddress, remotePort, response);
        }
        if (request.HasFingerprint && !request.VerifyFingerprint())
        {
            // RFC 8489 §7.3: a message whose FINGERPRINT does not match is not STUN (it may be another protocol muxed on the port).
            return Malformed(listener.Transport, StunParseError.None);
        }
        if (request.Class != StunMessageClass.Request)
        {
            metrics.Ignored(listener.Transport);
            return StunOutcome.Ignored;
        }
        metrics.Request(listener.Transport);

        Span<ushort> unknown = stackalloc ushort[MaxUnknownAttributesReported];
        int unknownCount = request.CopyUnknownComprehensionRequired(unknown);
        if (unknownCount > 0)
        {
            // RFC 8489 §6.3.1.1: 420 naming every comprehension-required attribute we do not understand.
            return Error(request, StunErrorCodes.UnknownAttribute, "Unknown Attribute", unknown[..Math.Min(unknownCount, unknown.Length)], response);
        }
        if (request.Method == StunMethod.Binding)
        {
            return Binding(request, remoteAddress, remotePort, listener, response);
        }
        return OtherMethod(request, remoteAddress, remotePort, listener, response);
    }

    private StunOutcome Binding(StunMessageReader request, ReadOnlySpan<byte> remoteAddress, int remotePort, ListenerView listener, Span<byte> response)
    {
        bool changeIp = false, changePort = false;
        if (request.HasAttribute(StunAttributeType.ChangeRequest))
        {
            if (!request.TryGetChangeRequest(out changeIp, out changePort))
            {
                return Error(request, StunErrorCodes.BadRequest, "Bad CHANGE-REQUEST", [], response);
            }
            if ((changeIp || changePort) && !listener.SupportsChangeRequest)
            {
                // RFC 5780 §6.1: without an alternate address (and never over TCP) CHANGE-REQUEST is answered 420.
                return Error(request, StunErrorCodes.UnknownAttribute, "Unknown Attribute", [(ushort)StunAttributeType.ChangeRequest], response);
            }
        }
        int responsePort = 0;
        if (request.HasAttribute(StunAttributeType.ResponsePort) && listener.Transport == StunTransportProtocol.Udp)
        {
            if (!request.TryGetResponsePort(out responsePort) || responsePort == 0)
            {
                return Error(request, StunErrorCodes.BadRequest, "Bad RESPONSE-PORT", [], response);
            }
        }

        var writer = new StunMessageWriter(response, StunMessageType.BindingSuccess, request.TransactionId);
        writer.WriteXorAddress(StunAttributeType.XorMappedAddress, remoteAddress, remotePort);
        if (listener.OriginFor(changeIp, changePort) is IPEndPoint origin)
        {
            writer.WriteAddress(StunAttributeType.ResponseOrigin, origin);
        }
        if (listener.OtherAddress is IPEndPoint other)
        {
            writer.WriteAddress(StunAttributeType.OtherAddress, other);
        }
        FinishResponse(ref writer);
        return new StunOutcome(StunOutcomeKind.Respond, writer.Length, changeIp, changePort, responsePort);
    }

    private StunOutcome OtherMethod(StunMessageReader request, ReadOnlySpan<byte> remoteAddress, int remotePort, ListenerView listener, Span<byte> response)
    {
        if (methodHandler is null)
        {
            return Error(request, StunErrorCodes.BadRequest, "Unsupported Method", [], response);
        }
        var remote = new IPEndPoint(new IPAddress(remoteAddress), remotePort);
        try
        {
            int length = methodHandler.HandleRequest(new StunRequestContext(listener.Transport, remote), request, response);
            return length > 0 ? new StunOutcome(StunOutcomeKind.Respond, length) : StunOutcome.Ignored;
        }
#pragma warning disable CA1031 // A faulty handler must not stop the receive loop; the client gets a 500.
        catch (Exception e)
#pragma warning restore CA1031
        {
            StunServerLog.HandlerFailed(logger, e, request.Method);
            return Error(request, StunErrorCodes.ServerError, "Server Error", [], response);
        }
    }

    // RFC 7983 §7: first byte 64–79 is TURN ChannelData; RFC 5766 clients also use 80–127 (channels up to 0x7FFF),
    // which no other protocol on a STUN/TURN port claims, so the packet handler gets those too.
    private static bool IsChannelData(ReadOnlySpan<byte> message) => message.Length >= 4 && message[0] is >= 0x40 and <= 0x7F;

    private StunOutcome ToPacketHandler(StunClientLink link, ReadOnlySpan<byte> message, ReadOnlySpan<byte> remoteAddress, int remotePort, Span<byte> response)
    {
        try
        {
            int length = packetHandler!.HandlePacket(link, remoteAddress, remotePort, message, response);
            return length > 0 ? new StunOutcome(StunOutcomeKind.Respond, length) : StunOutcome.Ignored;
        }
#pragma warning disable CA1031 // A faulty handler must not stop the receive loop.
        catch (Exception e)
#pragma warning restore CA1031
        {
            StunServerLog.PacketHandlerFailed(logger, e);
            return StunOutcome.Ignored;
        }
    }

    private StunOutcome Error(StunMessageReader request, int code, string reason, ReadOnlySpan<ushort> unknownAttributes, Span<byte> response)
    {
        var writer = new StunMessageWriter(response, new StunMessageType(request.Method, StunMessageClass.ErrorResponse), request.TransactionId);
        writer.WriteErrorCode(code, reason);
        if (!unknownAttributes.IsEmpty)
        {
            writer.WriteUnknownAttributes(unknownAttributes);
        }
        FinishResponse(ref writer);
        metrics.ErrorResponse(code);
        return new StunOutcome(StunOutcomeKind.Respond, writer.Length);
    }

    private void FinishResponse(ref StunMessageWriter writer)
    {
        if (options.Software is not null)
        {
            writer.WriteString(StunAttributeType.Software, options.Software);
        }
        writer.WriteFingerprint();
    }

    private StunOutcome Malformed(StunTransportProtocol transport, StunParseError error)
    {
        metrics.Malformed(transport);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            StunServerLog.DroppedMalformed(logger, transport, error);
        }
        return StunOutcome.Malformed;
    }
}
