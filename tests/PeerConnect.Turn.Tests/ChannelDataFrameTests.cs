namespace PeerConnect.Turn.Tests;

/// <summary>ChannelData framing (RFC 8656 §12.4, §12.5).</summary>
public sealed class ChannelDataFrameTests
{
    [Fact]
    public void StreamFramesArePaddedToFourButLengthCountsDataOnly()
    {
        var buffer = new byte[16];
        int length = ChannelDataFrame.Write(buffer, 0x4001, [1, 2, 3, 4, 5], padded: true);
        Assert.Equal(12, length);
        Assert.Equal(Convert.FromHexString("40010005" + "0102030405000000"), buffer[..length]);
        Assert.True(ChannelDataFrame.TryGetStreamFrameLength(buffer, out int frame));
        Assert.Equal(12, frame);
    }

    [Fact]
    public void DatagramFramesNeedNoPadding()
    {
        var buffer = new byte[16];
        int length = ChannelDataFrame.Write(buffer, 0x4FFF, [9], padded: false);
        Assert.Equal(5, length);
        Assert.True(ChannelDataFrame.TryRead(buffer.AsSpan(0, length), out ushort channel, out ReadOnlySpan<byte> data));
        Assert.Equal(0x4FFF, channel);
        Assert.Equal([9], data.ToArray());
    }

    [Fact]
    public void DatagramShorterThanDeclaredLengthIsDiscarded() =>
        Assert.False(ChannelDataFrame.TryRead(Convert.FromHexString("40000008" + "0102"), out _, out _));

    [Fact]
    public void PaddingAfterDataIsIgnored()
    {
        Assert.True(ChannelDataFrame.TryRead(Convert.FromHexString("40000001" + "aa000000"), out _, out ReadOnlySpan<byte> data));
        Assert.Equal([0xaa], data.ToArray());
    }

    [Theory]
    [InlineData(0x3FFF)]
    [InlineData(0x5000)]
    [InlineData(0x7FFF)]
    public void ChannelNumberOutsideRangeIsRejected(int channel)
    {
        Assert.False(ChannelDataFrame.IsValidChannelNumber(channel));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelDataFrame.Write(new byte[8], (ushort)channel, [1], padded: true));
    }

    [Fact]
    public void StunIsNotChannelData() =>
        Assert.False(ChannelDataFrame.LooksLikeChannelData(Convert.FromHexString("000100002112a442")));

    [Fact]
    public void RandomInputNeverThrows()
    {
        var random = new Random(8656);
        var buffer = new byte[64];
        for (int i = 0; i < 50_000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (ChannelDataFrame.TryRead(buffer.AsSpan(0, length), out _, out ReadOnlySpan<byte> data))
            {
                Assert.True(data.Length <= length - ChannelDataFrame.HeaderLength);
            }

            _ = ChannelDataFrame.TryGetStreamFrameLength(buffer.AsSpan(0, length), out _);
        }
    }
}
