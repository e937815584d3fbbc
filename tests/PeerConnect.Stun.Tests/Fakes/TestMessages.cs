using System.Net;

namespace PeerConnect.Stun.Tests.Fakes;

/// <summary>Builds the STUN messages tests answer with.</summary>
internal static class TestMessages
{
    public static TransactionId IdOf(byte[] request) => StunMessageReader.Parse(request).TransactionId;

    public static byte[] BindingSuccess(TransactionId id, IPEndPoint mapped, IPEndPoint? otherAddress = null, string? software = null)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingSuccess, id);
        writer.WriteXorAddress(StunAttributeType.XorMappedAddress, mapped);
        if (otherAddress is not null)
        {
            writer.WriteAddress(StunAttributeType.OtherAddress, otherAddress);
        }
        if (software is not null)
        {
            writer.WriteString(StunAttributeType.Software, software);
        }
        writer.WriteFingerprint();
        return buffer.AsSpan(0, writer.Length).ToArray();
    }
}
