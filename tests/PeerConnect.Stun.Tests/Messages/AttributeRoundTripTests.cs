using System.Net;

namespace PeerConnect.Stun.Tests.Messages;

/// <summary>Every attribute the writer emits reads back to the same value (RFC 8489 §14, RFC 5780 §7, RFC 8445 §16).</summary>
public sealed class AttributeRoundTripTests
{
    [Theory]
    [InlineData(StunMethod.Binding, StunMessageClass.Request, 0x0001)]
    [InlineData(StunMethod.Binding, StunMessageClass.Indication, 0x0011)]
    [InlineData(StunMethod.Binding, StunMessageClass.SuccessResponse, 0x0101)]
    [InlineData(StunMethod.Binding, StunMessageClass.ErrorResponse, 0x0111)]
    [InlineData(StunMethod.Allocate, StunMessageClass.Request, 0x0003)]
    [InlineData(StunMethod.Send, StunMessageClass.Indication, 0x0016)]
    [InlineData(StunMethod.Data, StunMessageClass.Indication, 0x0017)]
    [InlineData(StunMethod.ChannelBind, StunMessageClass.ErrorResponse, 0x0119)]
    public void MessageTypeEncodesPerSection5(StunMethod method, StunMessageClass cls, int wire)
    {
        var type = new StunMessageType(method, cls);
        Assert.Equal((ushort)wire, type.ToWire());
        Assert.Equal(type, StunMessageType.FromWire((ushort)wire));
    }

    [Fact]
    public void EveryWriterAttributeReadsBack()
    {
        var buffer = new byte[1024];
        var id = TransactionId.NewRandom();
        var v4 = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 61000);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::42"), 1);
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingError, id);
        writer.WriteAddress(StunAttributeType.MappedAddress, v4);
        writer.WriteXorAddress(StunAttributeType.XorMappedAddress, v6);
        writer.WriteAddress(StunAttributeType.AlternateServer, v6);
        writer.WriteAddress(StunAttributeType.ResponseOrigin, v4);
        writer.WriteAddress(StunAttributeType.OtherAddress, v6);
        writer.WriteString(StunAttributeType.Username, "user");
        writer.WriteString(StunAttributeType.AlternateDomain, "turn.example.org");
        writer.WriteErrorCode(StunErrorCodes.StaleNonce, StunErrorCodes.ReasonPhrase(StunErrorCodes.StaleNonce));
        writer.WriteUnknownAttributes([0x0042, 0x7001]);
        writer.WritePasswordAlgorithms([StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5]);
        writer.WriteChangeRequest(changeIp: true, changePort: false);
        writer.WriteResponsePort(5000);
        writer.WriteAttribute(StunAttributeType.Padding, new byte[7]);
        writer.WriteFlag(StunAttributeType.UseCandidate);
        writer.WriteUInt64(StunAttributeType.IceControlling, ulong.MaxValue);
        writer.WriteMessageIntegrity("k"u8);
        writer.WriteMessageIntegritySha256("k"u8, 24);
        writer.WriteFingerprint();

        var reader = StunMessageReader.Parse(writer.WrittenSpan);
        Assert.Equal(id, reader.TransactionId);
        Assert.True(reader.TryGetAddress(StunAttributeType.MappedAddress, out IPEndPoint mapped));
        Assert.Equal(v4, mapped);
        Assert.True(reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out IPEndPoint xorMapped));
        Assert.Equal(v6, xorMapped);
        Assert.True(reader.TryGetAddress(StunAttributeType.AlternateServer, out IPEndPoint alternate));
        Assert.Equal(v6, alternate);
        Assert.True(reader.TryGetAddress(StunAttributeType.ResponseOrigin, out IPEndPoint origin));
        Assert.Equal(v4, origin);
        Assert.True(reader.TryGetAddress(StunAttributeType.OtherAddress, out IPEndPoint other));
        Assert.Equal(v6, other);
        Assert.True(reader.TryGetString(StunAttributeType.AlternateDomain, out string domain));
        Assert.Equal("turn.example.org", domain);
        Assert.True(reader.TryGetErrorCode(out int code, out string reason));
        Assert.Equal(438, code);
        Assert.Equal("Stale Nonce", reason);
        var unknown = new ushort[4];
        Assert.Equal(2, reader.CopyUnknownAttributes(unknown));
        Assert.Equal([0x0042, 0x7001], unknown[..2]);
        var algorithms = new StunPasswordAlgorithm[4];
        Assert.Equal(2, reader.CopyPasswordAlgorithms(algorithms));
        Assert.Equal([StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5], algorithms[..2]);
        Assert.True(reader.TryGetChangeRequest(out bool changeIp, out bool changePort));
        Assert.True(changeIp);
        Assert.False(changePort);
        Assert.True(reader.TryGetResponsePort(out int responsePort));
        Assert.Equal(5000, responsePort);
        Assert.True(reader.HasAttribute(StunAttributeType.UseCandidate));
        Assert.True(reader.TryGetUInt64(StunAttributeType.IceControlling, out ulong tieBreaker));
        Assert.Equal(ulong.MaxValue, tieBreaker);
        Assert.True(reader.VerifyMessageIntegrity("k"u8));
        Assert.True(reader.VerifyMessageIntegritySha256("k"u8));
        Assert.False(reader.VerifyMessageIntegritySha256("x"u8));
        Assert.True(reader.VerifyFingerprint());
    }

    [Fact]
    public void UnknownComprehensionRequiredAttributesAreListedOnce()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteAttribute((ushort)0x7777, [1]);
        writer.WriteAttribute((ushort)0xC001, [1]);
        writer.WriteAttribute((ushort)0x7777, [2]);
        writer.WriteAttribute((ushort)0x0042, []);
        writer.WriteFlag(StunAttributeType.UseCandidate);
        var reader = StunMessageReader.Parse(writer.WrittenSpan);

        var unknown = new ushort[8];
        int count = reader.CopyUnknownComprehensionRequired(unknown);
        Assert.Equal(2, count);
        Assert.Equal([0x7777, 0x0042], unknown[..count]);
    }

    [Fact]
    public void WriterRefusesADestinationTooSmall()
    {
        var buffer = new byte[24];
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
            writer.WriteString(StunAttributeType.Software, "more than four bytes");
        });
    }

    [Fact]
    public void ParseAndVerifyAllocateNothing()
    {
        byte[] message = Rfc5769Vectors.Request;
        byte[] key = StunCredentials.ShortTermKey(Rfc5769Vectors.ShortTermPassword);
        var buffer = new byte[256];
        var address = new byte[16];
        ParseVerifyAndWrite(message, key, buffer, address);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            ParseVerifyAndWrite(message, key, buffer, address);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void ParseVerifyAndWrite(byte[] message, byte[] key, byte[] buffer, byte[] address)
    {
        var reader = StunMessageReader.Parse(message);
        Assert.True(reader.VerifyMessageIntegrity(key));
        Assert.True(reader.VerifyFingerprint());
        Assert.True(reader.TryGetUInt32(StunAttributeType.Priority, out _));
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingSuccess, reader.TransactionId);
        writer.WriteXorAddress(StunAttributeType.XorMappedAddress, address.AsSpan(0, 4), 5000);
        writer.WriteMessageIntegrity(key);
        writer.WriteFingerprint();
        Assert.True(StunMessageReader.Parse(writer.WrittenSpan).TryGetXorAddress(StunAttributeType.XorMappedAddress, address, out _, out _));
    }
}
