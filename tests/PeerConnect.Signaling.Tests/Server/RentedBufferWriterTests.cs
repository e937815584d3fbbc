using PeerConnect.Server.Signaling;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>The pooled frame buffer the server encodes outgoing messages into.</summary>
public sealed class RentedBufferWriterTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(5_000)]
    [InlineData(60_000)]
    public void EncodesTheSameBytesAsTheArrayEncoderWhateverTheSize(int sdpLength)
    {
        // Past the first 4 KiB the writer moves to a larger array mid-message; the bytes must not move with it.
        var message = new SignalMessage(SignalKind.Offer) { To = "b7Qx", Id = 3, Sdp = new string('a', sdpLength) + "\r\n" };
        foreach (var codec in new[] { SignalingCodec.Json, SignalingCodec.Cbor })
        {
            using var writer = new RentedBufferWriter(16);
            codec.Encode(message, writer);
            Assert.Equal(codec.Encode(message), writer.WrittenMemory.ToArray());
        }
    }

    [Fact]
    public void GrowingKeepsWhatWasWritten()
    {
        using var writer = new RentedBufferWriter(4);
        for (var i = 0; i < 1000; i++)
        {
            var span = writer.GetSpan(3);
            span[0] = (byte)i;
            writer.Advance(1);
        }

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (byte)i), writer.WrittenMemory.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(writer.GetMemory().Length + 1));
    }

    [Fact]
    public void RentedAgainOnTheSameThreadIsTheSameWriterEmptied()
    {
        var first = RentedBufferWriter.Rent(16);
        first.GetSpan(5)[..5].Fill(7);
        first.Advance(5);
        first.Dispose();

        using var second = RentedBufferWriter.Rent(16);
        Assert.Same(first, second);
        Assert.True(second.WrittenMemory.IsEmpty);
        Assert.True(second.GetMemory().Length >= 16);

        using var third = RentedBufferWriter.Rent(16);
        Assert.NotSame(second, third);
    }
}
