namespace PeerConnect.Signaling.Protocol;

/// <summary>WebSocket subprotocol names (RFC 6455 section 1.9) selecting the message encoding.</summary>
public static class SignalingSubprotocols
{
    /// <summary>JSON in text frames; also used when the client asks for no subprotocol.</summary>
    public const string Json = "peerconnect.v1.json";

    /// <summary>CBOR (RFC 8949) in binary frames, with the same field names as JSON.</summary>
    public const string Cbor = "peerconnect.v1.bin";
}
