using System.Net;

namespace PeerConnect.Stun.Client;

/// <summary>Builds Binding requests and reads Binding responses for the UDP and stream clients.</summary>
internal static class BindingMessages
{
    /// <summary>Room for a Binding request with SOFTWARE (at most 763 bytes, RFC 8489 §14.14) and the RFC 5780 attributes.</summary>
    public const int MaxRequestLength = 1024;

    public static int WriteRequest(Span<byte> buffer, TransactionId id, BindingRequestOptions options, string? software)
    {
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, id);
        if (software is not null)
        {
            writer.WriteString(StunAttributeType.Software, software);
        }
        if (options.ChangeIp || options.ChangePort)
        {
            writer.WriteChangeRequest(options.ChangeIp, options.ChangePort);
        }
        if (options.ResponsePort is int port)
        {
            writer.WriteResponsePort(port);
        }
        writer.WriteFingerprint();
        return writer.Length;
    }

    /// <exception cref="StunErrorResponseException">The server answered with an error response.</exception>
    /// <exception cref="StunInvalidResponseException">The response cannot be read or has no mapped address.</exception>
    public static StunBindingResult ReadResult(StunResponse response)
    {
        if (!StunMessageReader.TryParse(response.Message.Span, out var reader, out var error))
        {
            throw new StunInvalidResponseException($"The STUN response cannot be parsed: {error}.");
        }
        if (reader.Method != StunMethod.Binding)
        {
            throw new StunInvalidResponseException($"Expected a Binding response, got {reader.Method}.");
        }
        if (reader.Class == StunMessageClass.ErrorResponse)
        {
            if (reader.TryGetErrorCode(out int code, out string reason))
            {
                throw new StunErrorResponseException(code, reason);
            }
            throw new StunInvalidResponseException("The error response has no ERROR-CODE.");
        }
        if (reader.Class != StunMessageClass.SuccessResponse)
        {
            throw new StunInvalidResponseException($"Expected a response, got a {reader.Class}.");
        }
        if (!reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out IPEndPoint mapped)
            && !reader.TryGetAddress(StunAttributeType.MappedAddress, out mapped))
        {
            throw new StunInvalidResponseException("The Binding response has neither XOR-MAPPED-ADDRESS nor MAPPED-ADDRESS.");
        }
        string? software = reader.TryGetString(StunAttributeType.Software, out string s) ? s : null;
        IPEndPoint? origin = reader.TryGetAddress(StunAttributeType.ResponseOrigin, out IPEndPoint o) ? o : null;
        IPEndPoint? other = reader.TryGetAddress(StunAttributeType.OtherAddress, out IPEndPoint a) ? a : null;
        return new StunBindingResult(mapped, software, response.RoundTripTime, origin, other, response.Source);
    }
}
