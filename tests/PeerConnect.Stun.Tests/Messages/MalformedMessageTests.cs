using System.Buffers.Binary;

namespace PeerConnect.Stun.Tests.Messages;

/// <summary>Each malformation gets its own precise parse error (RFC 8489 §5, §14).</summary>
public sealed class MalformedMessageTests
{
    private static byte[] Valid => (byte[])Rfc5769Vectors.Request.Clone();

    private static StunParseError ErrorOf(byte[] bytes, int maxLength = StunConstants.DefaultMaxMessageLength)
    {
        Assert.False(StunMessageReader.TryParse(bytes, out _, out StunParseError error, maxLength));
        var thrown = Assert.Throws<StunParseException>(() => StunMessageReader.Parse(bytes, maxLength));
        Assert.Equal(error, thrown.Error);
        return error;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void ShorterThanHeaderIsTooShort(int length) =>
        Assert.Equal(StunParseError.TooShort, ErrorOf(Valid[..length]));

    [Fact]
    public void TopBitsSetIsNotStun()
    {
        byte[] bytes = Valid;
        bytes[0] |= 0x80;
        Assert.Equal(StunParseError.NotStun, ErrorOf(bytes));
    }

    [Fact]
    public void WrongMagicCookieIsRejected()
    {
        byte[] bytes = Valid;
        bytes[4] ^= 0xFF;
        Assert.Equal(StunParseError.BadMagicCookie, ErrorOf(bytes));
    }

    [Fact]
    public void LengthNotMultipleOfFourIsRejected()
    {
        byte[] bytes = Convert.FromHexString("000100062112a442b7e7a701bc34d686fa87dfae" + "00250000" + "0024");
        Assert.Equal(StunParseError.LengthNotMultipleOfFour, ErrorOf(bytes));
    }

    [Fact]
    public void TruncatedMessageIsRejected() =>
        Assert.Equal(StunParseError.Truncated, ErrorOf(Valid[..^4]));

    [Fact]
    public void BytesBeyondTheLengthFieldAreRejected() =>
        Assert.Equal(StunParseError.TrailingBytes, ErrorOf([.. Valid, 0, 0, 0, 0]));

    [Fact]
    public void MessageOverTheConfiguredMaximumIsTooLarge() =>
        Assert.Equal(StunParseError.TooLarge, ErrorOf(Valid, maxLength: 64));

    [Fact]
    public void AttributeRunningPastTheEndIsRejected()
    {
        // A header with one attribute that claims 200 bytes of value in an 8-byte body.
        byte[] bytes = Convert.FromHexString("000100082112a442b7e7a701bc34d686fa87dfae" + "802200c8" + "41414141");
        Assert.Equal(StunParseError.AttributeOverrun, ErrorOf(bytes));
    }

    [Fact]
    public void MissingPaddingIsBadPadding()
    {
        // SOFTWARE with a 5-byte value and no padding after it: the value fits, its padding does not.
        byte[] bytes = Convert.FromHexString("000100092112a442b7e7a701bc34d686fa87dfae" + "80220005" + "4141414141");
        Assert.Equal(StunParseError.BadPadding, ErrorOf(bytes));
    }

    [Fact]
    public void NonZeroPaddingIsAccepted()
    {
        // RFC 8489 §14: padding bits are ignored by the receiver (RFC 5769 pads with spaces).
        byte[] bytes = Convert.FromHexString("000100082112a442b7e7a701bc34d686fa87dfae" + "80220001" + "41ffffff");
        Assert.True(StunMessageReader.TryParse(bytes, out StunMessageReader reader, out _));
        Assert.True(reader.TryGetString(StunAttributeType.Software, out string software));
        Assert.Equal("A", software);
    }

    [Fact]
    public void DuplicateMessageIntegrityIsRejected()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteMessageIntegrity("key"u8);
        writer.WriteMessageIntegrity("key"u8);
        Assert.Equal(StunParseError.DuplicateIntegrity, ErrorOf(writer.WrittenSpan.ToArray()));
    }

    [Fact]
    public void DuplicateMessageIntegritySha256IsRejected()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteMessageIntegritySha256("key"u8);
        writer.WriteMessageIntegritySha256("key"u8);
        Assert.Equal(StunParseError.DuplicateIntegrity, ErrorOf(writer.WrittenSpan.ToArray()));
    }

    [Fact]
    public void AttributeAfterFingerprintIsRejected()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteFingerprint();
        writer.WriteFlag(StunAttributeType.UseCandidate);
        Assert.Equal(StunParseError.DataAfterFingerprint, ErrorOf(writer.WrittenSpan.ToArray()));
    }

    [Theory]
    [InlineData((ushort)StunAttributeType.MessageIntegrity, 16)]
    [InlineData((ushort)StunAttributeType.MessageIntegritySha256, 12)]
    [InlineData((ushort)StunAttributeType.MessageIntegritySha256, 36)]
    [InlineData((ushort)StunAttributeType.Fingerprint, 8)]
    public void IntegrityAttributesWithWrongLengthsAreRejected(ushort type, int length)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteAttribute(type, new byte[length]);
        Assert.Equal(StunParseError.BadIntegrityLength, ErrorOf(writer.WrittenSpan.ToArray()));
    }

    [Fact]
    public void AttributesAfterMessageIntegrityAreIgnored()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteMessageIntegrity("key"u8);
        writer.WriteString(StunAttributeType.Software, "smuggled");
        writer.WriteFingerprint();

        var reader = StunMessageReader.Parse(writer.WrittenSpan);
        Assert.False(reader.TryGetString(StunAttributeType.Software, out _));
        Assert.True(reader.VerifyFingerprint());
    }

    [Fact]
    public void WrongFingerprintFailsVerification()
    {
        byte[] bytes = Valid;
        bytes[^1] ^= 1;
        Assert.False(StunMessageReader.Parse(bytes).VerifyFingerprint());
    }

    [Fact]
    public void TamperedBodyFailsIntegrity()
    {
        byte[] bytes = Valid;
        bytes[30] ^= 1;
        Assert.False(StunMessageReader.Parse(bytes).VerifyMessageIntegrity(StunCredentials.ShortTermKey(Rfc5769Vectors.ShortTermPassword)));
    }

    [Fact]
    public void TypedGettersRejectMalformedValues()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingSuccess, TransactionId.NewRandom());
        writer.WriteAttribute(StunAttributeType.XorMappedAddress, Convert.FromHexString("000300010203"));
        writer.WriteAttribute(StunAttributeType.MappedAddress, Convert.FromHexString("00010001020304"));
        writer.WriteAttribute(StunAttributeType.ErrorCode, Convert.FromHexString("00000763"));
        writer.WriteAttribute(StunAttributeType.Software, [0xC3, 0x28]);
        writer.WriteAttribute(StunAttributeType.Priority, [1, 2]);
        writer.WriteAttribute(StunAttributeType.PasswordAlgorithms, Convert.FromHexString("00010008"));
        var reader = StunMessageReader.Parse(writer.WrittenSpan);

        Assert.False(reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out _));
        Assert.False(reader.TryGetAddress(StunAttributeType.MappedAddress, out _));
        Assert.False(reader.TryGetErrorCode(out _, out _));
        Assert.False(reader.TryGetString(StunAttributeType.Software, out _));
        Assert.False(reader.TryGetUInt32(StunAttributeType.Priority, out _));
        Assert.Equal(-1, reader.CopyPasswordAlgorithms(new StunPasswordAlgorithm[4]));
    }
}
