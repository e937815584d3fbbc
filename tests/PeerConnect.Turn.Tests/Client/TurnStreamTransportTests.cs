using System.Net;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Turn.Tests.Client;

/// <summary>Framing over TCP/TLS: STUN by its length field (RFC 8489 §6.2.2), ChannelData by Length padded to 4 (RFC 8656 §12.5).</summary>
public sealed class TurnStreamTransportTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 3478);

    [Fact]
    public async Task FramesAreCutFromAStreamThatArrivesInDribbles()
    {
        byte[] indication = TurnClientTests.DataIndication(TurnClientTests.PeerA, "hello");
        byte[] odd = PaddedChannelData(0x4000, "12345");
        byte[] even = PaddedChannelData(0x4001, "12345678");
        await using var transport = Transport([.. indication, .. odd, .. even], chunk: 3);
        var buffer = new byte[512];

        DatagramReceiveResult first = await transport.ReceiveAsync(buffer);
        Assert.Equal(indication, buffer[..first.Count]);
        Assert.Equal(Server, first.RemoteEndPoint);

        DatagramReceiveResult second = await transport.ReceiveAsync(buffer);
        Assert.Equal(12, second.Count);
        Assert.True(ChannelDataFrame.TryRead(buffer.AsSpan(0, second.Count), out ushort channel, out ReadOnlySpan<byte> data));
        Assert.Equal(0x4000, channel);
        Assert.Equal("12345"u8.ToArray(), data.ToArray());

        DatagramReceiveResult third = await transport.ReceiveAsync(buffer);
        Assert.Equal(even, buffer[..third.Count]);

        await Assert.ThrowsAsync<IOException>(() => transport.ReceiveAsync(buffer).AsTask());
    }

    [Fact]
    public async Task BytesThatAreNeitherStunNorChannelDataCloseTheStream()
    {
        await using var transport = Transport([0x80, 0, 0, 0, 0, 0, 0, 0], chunk: 8);

        await Assert.ThrowsAsync<InvalidDataException>(() => transport.ReceiveAsync(new byte[64]).AsTask());
    }

    [Fact]
    public async Task FrameLongerThanTheLimitClosesTheStream()
    {
        await using var transport = Transport(PaddedChannelData(0x4000, new string('x', 2000)), chunk: 4096);

        await Assert.ThrowsAsync<InvalidDataException>(() => transport.ReceiveAsync(new byte[4096]).AsTask());
    }

    private static TurnStreamTransport Transport(byte[] incoming, int chunk) =>
        new(new DribbleStream(incoming, chunk), Server, new IPEndPoint(IPAddress.Loopback, 50000), maxMessageLength: 1500);

    private static byte[] PaddedChannelData(ushort channel, string text)
    {
        var buffer = new byte[4096];
        return buffer[..ChannelDataFrame.Write(buffer, channel, System.Text.Encoding.UTF8.GetBytes(text), padded: true)];
    }

    /// <summary>A read-only stream handing out at most <c>chunk</c> bytes per read, as TCP may.</summary>
    private sealed class DribbleStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
