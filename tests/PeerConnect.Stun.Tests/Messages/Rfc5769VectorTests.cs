using System.Net;
using System.Text;

namespace PeerConnect.Stun.Tests.Messages;

/// <summary>RFC 5769 §2 and RFC 8489 Appendix B.1: decode and verify, then encode from fields, byte-exact.</summary>
public sealed class Rfc5769VectorTests
{
    private static readonly byte[] ShortTermKey = StunCredentials.ShortTermKey(Rfc5769Vectors.ShortTermPassword);

    [Fact]
    public void SampleRequestDecodesAndVerifies()
    {
        var reader = StunMessageReader.Parse(Rfc5769Vectors.Request);

        Assert.Equal(StunMessageType.BindingRequest, reader.Type);
        Assert.Equal(TransactionId.Read(Rfc5769Vectors.ShortTermTransactionId), reader.TransactionId);
        Assert.True(reader.TryGetString(StunAttributeType.Software, out string software));
        Assert.Equal(Rfc5769Vectors.RequestSoftware, software);
        Assert.True(reader.TryGetUInt32(StunAttributeType.Priority, out uint priority));
        Assert.Equal(0x6e0001ffu, priority);
        Assert.True(reader.TryGetUInt64(StunAttributeType.IceControlled, out ulong tieBreaker));
        Assert.Equal(0x932ff9b151263b36ul, tieBreaker);
        Assert.True(reader.TryGetString(StunAttributeType.Username, out string username));
        Assert.Equal(Rfc5769Vectors.ShortTermUsername, username);
        Assert.True(reader.VerifyMessageIntegrity(ShortTermKey));
        Assert.True(reader.VerifyFingerprint());
        Assert.False(reader.VerifyMessageIntegrity("wrong"u8));
    }

    [Fact]
    public void SampleRequestEncodesByteExact()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.Read(Rfc5769Vectors.ShortTermTransactionId), paddingByte: 0x20);
        writer.WriteString(StunAttributeType.Software, Rfc5769Vectors.RequestSoftware);
        writer.WriteUInt32(StunAttributeType.Priority, 0x6e0001ff);
        writer.WriteUInt64(StunAttributeType.IceControlled, 0x932ff9b151263b36);
        writer.WriteString(StunAttributeType.Username, Rfc5769Vectors.ShortTermUsername);
        writer.WriteMessageIntegrity(ShortTermKey);
        writer.WriteFingerprint();

        Assert.Equal(Convert.ToHexString(Rfc5769Vectors.Request), Convert.ToHexString(writer.WrittenSpan));
    }

    [Theory]
    [InlineData(false, "192.0.2.1")]
    [InlineData(true, "2001:db8:1234:5678:11:2233:4455:6677")]
    public void SampleResponseDecodesAndVerifies(bool ipv6, string address)
    {
        byte[] vector = ipv6 ? Rfc5769Vectors.IPv6Response : Rfc5769Vectors.IPv4Response;
        var reader = StunMessageReader.Parse(vector);

        Assert.Equal(StunMessageType.BindingSuccess, reader.Type);
        Assert.True(reader.TryGetString(StunAttributeType.Software, out string software));
        Assert.Equal(Rfc5769Vectors.ResponseSoftware, software);
        Assert.True(reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out IPEndPoint mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), 32853), mapped);
        Assert.True(reader.VerifyMessageIntegrity(ShortTermKey));
        Assert.True(reader.VerifyFingerprint());
    }

    [Theory]
    [InlineData(false, "192.0.2.1")]
    [InlineData(true, "2001:db8:1234:5678:11:2233:4455:6677")]
    public void SampleResponseEncodesByteExact(bool ipv6, string address)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingSuccess, TransactionId.Read(Rfc5769Vectors.ShortTermTransactionId), paddingByte: 0x20);
        writer.WriteString(StunAttributeType.Software, Rfc5769Vectors.ResponseSoftware);
        writer.WriteXorAddress(StunAttributeType.XorMappedAddress, new IPEndPoint(IPAddress.Parse(address), 32853));
        writer.WriteMessageIntegrity(ShortTermKey);
        writer.WriteFingerprint();

        byte[] vector = ipv6 ? Rfc5769Vectors.IPv6Response : Rfc5769Vectors.IPv4Response;
        Assert.Equal(Convert.ToHexString(vector), Convert.ToHexString(writer.WrittenSpan));
    }

    [Fact]
    public void LongTermRequestDecodesAndVerifies()
    {
        var reader = StunMessageReader.Parse(Rfc5769Vectors.LongTermRequest);

        Assert.True(reader.TryGetString(StunAttributeType.Username, out string username));
        Assert.Equal(Rfc5769Vectors.LongTermUsername, username);
        Assert.True(reader.TryGetString(StunAttributeType.Nonce, out string nonce));
        Assert.Equal(Rfc5769Vectors.LongTermNonce, nonce);
        Assert.True(reader.TryGetString(StunAttributeType.Realm, out string realm));
        Assert.Equal(Rfc5769Vectors.Realm, realm);
        byte[] key = StunCredentials.LongTermKey(username, realm, Rfc5769Vectors.LongTermPassword);
        Assert.True(reader.VerifyMessageIntegrity(key));
        Assert.False(reader.HasFingerprint);
    }

    [Fact]
    public void LongTermRequestEncodesByteExact()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.Read(Rfc5769Vectors.LongTermTransactionId));
        writer.WriteString(StunAttributeType.Username, Rfc5769Vectors.LongTermUsername);
        writer.WriteString(StunAttributeType.Nonce, Rfc5769Vectors.LongTermNonce);
        writer.WriteString(StunAttributeType.Realm, Rfc5769Vectors.Realm);
        writer.WriteMessageIntegrity(StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.Realm, Rfc5769Vectors.LongTermPassword));

        Assert.Equal(Convert.ToHexString(Rfc5769Vectors.LongTermRequest), Convert.ToHexString(writer.WrittenSpan));
    }

    [Fact]
    public void Rfc8489Sha256RequestDecodesAndVerifies()
    {
        var reader = StunMessageReader.Parse(Rfc5769Vectors.Sha256Request);

        Assert.True(reader.TryGetAttribute(StunAttributeType.Userhash, out ReadOnlySpan<byte> userhash));
        Assert.Equal(StunCredentials.UserHash(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.Realm), userhash.ToArray());
        Assert.True(reader.TryGetPasswordAlgorithm(out StunPasswordAlgorithm algorithm));
        Assert.Equal(StunPasswordAlgorithm.Sha256, algorithm);
        Assert.True(reader.TryGetString(StunAttributeType.Nonce, out string nonce));
        Assert.Equal(Rfc5769Vectors.Sha256Nonce, nonce);
        byte[] key = StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.Realm, Rfc5769Vectors.LongTermPassword, StunPasswordAlgorithm.Sha256);
        Assert.True(reader.VerifyMessageIntegritySha256(key));
        Assert.False(reader.HasMessageIntegrity);
    }

    [Fact]
    public void Rfc8489Sha256RequestEncodesByteExact()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.Read(Rfc5769Vectors.LongTermTransactionId));
        writer.WriteAttribute(StunAttributeType.Userhash, StunCredentials.UserHash(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.Realm));
        writer.WriteString(StunAttributeType.Nonce, Rfc5769Vectors.Sha256Nonce);
        writer.WriteString(StunAttributeType.Realm, Rfc5769Vectors.Realm);
        writer.WritePasswordAlgorithm(StunPasswordAlgorithm.Sha256);
        writer.WriteMessageIntegritySha256(StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.Realm, Rfc5769Vectors.LongTermPassword, StunPasswordAlgorithm.Sha256));

        Assert.Equal(Convert.ToHexString(Rfc5769Vectors.Sha256Request), Convert.ToHexString(writer.WrittenSpan));
    }

    [Fact]
    public void Rfc8489PasswordPreparesToTheMatrix()
    {
        // RFC 8489 B.1 names "TheMatrIX" as the prepared password; OpaqueString leaves plain ASCII as it is.
        Assert.Equal("TheMatrIX"u8.ToArray(), StunCredentials.ShortTermKey("TheMatrIX"));
        Assert.Equal(Encoding.UTF8.GetBytes("a b"), StunCredentials.ShortTermKey("a\u00A0b"));
    }
}
