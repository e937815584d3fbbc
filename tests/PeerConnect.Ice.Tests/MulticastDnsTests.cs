using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Ice.Mdns;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Tests;

/// <summary>The one-shot mDNS query/response codec (RFC 6762 §5.1, RFC 1035 §4.1) and the resolver over an in-memory socket: no multicast is sent.</summary>
public class MulticastDnsTests
{
    private const string Name = "1f528ac5-3c8e-4a1b-9b32-6d9f6e1c8f0e.local";

    [Fact]
    public void QueryHasOneAAndOneAaaaQuestionTheSecondByPointer()
    {
        var buffer = new byte[300];
        int length = MdnsMessage.WriteQuery(buffer, 0x1234, "host.local");

        byte[] expected =
        [
            0x12, 0x34, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // ID, flags 0, QDCOUNT 2
            4, (byte)'h', (byte)'o', (byte)'s', (byte)'t', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0,
            0x00, 0x01, 0x00, 0x01, // A, IN
            0xC0, 0x0C,             // pointer to the name at offset 12
            0x00, 0x1C, 0x00, 0x01, // AAAA, IN
        ];
        Assert.Equal(expected, buffer[..length]);
    }

    [Fact]
    public void AnswerWithCompressedNameAndCacheFlushBitYieldsTheAddress()
    {
        var response = new ResponseBuilder(0x1234)
            .Question(Name)
            .Record(pointerToQuestion: true, type: 1, cacheFlush: true, [198, 51, 100, 7])
            .Build(answers: 1);

        var addresses = new List<IPAddress>();
        ushort id = MdnsMessage.ReadAnswers(response, Name, addresses);

        Assert.Equal(0x1234, id);
        Assert.Equal([IPAddress.Parse("198.51.100.7")], addresses);
    }

    [Fact]
    public void AaaaRecordsAreReadAndNamesCompareWithoutCase()
    {
        var response = new ResponseBuilder(0).Record(Name.ToUpperInvariant(), type: 28, IPAddress.Parse("2001:db8::5").GetAddressBytes()).Build(answers: 1);

        var addresses = new List<IPAddress>();
        MdnsMessage.ReadAnswers(response, Name, addresses);

        Assert.Equal([IPAddress.Parse("2001:db8::5")], addresses);
    }

    [Fact]
    public void RecordsForOtherNamesAndTypesAreSkipped()
    {
        var response = new ResponseBuilder(0)
            .Record("other.local", type: 1, [198, 51, 100, 8])
            .Record(Name, type: 16, [3, (byte)'t', (byte)'x', (byte)'t'])
            .Record(Name, type: 1, [198, 51, 100, 9])
            .Build(answers: 2, additional: 1);

        var addresses = new List<IPAddress>();
        MdnsMessage.ReadAnswers(response, Name, addresses);

        Assert.Equal([IPAddress.Parse("198.51.100.9")], addresses);
    }

    [Fact]
    public void CompressionPointerThatDoesNotPointBackwardsIsRejected()
    {
        byte[] response = [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 1, 2, 3, 4];

        Assert.Throws<MdnsFormatException>(() => MdnsMessage.ReadAnswers(response, Name, new List<IPAddress>()));
    }

    [Fact]
    public void RecordRunningPastTheMessageIsRejected()
    {
        var response = new ResponseBuilder(0).Record(Name, type: 1, [198, 51, 100, 7]).Build(answers: 1);

        Assert.Throws<MdnsFormatException>(() => MdnsMessage.ReadAnswers(response[..^2], Name, new List<IPAddress>()));
    }

    [Fact]
    public void QueryIsNotAnAnswer()
    {
        var buffer = new byte[300];
        int length = MdnsMessage.WriteQuery(buffer, 1, Name);

        Assert.Throws<MdnsFormatException>(() => MdnsMessage.ReadAnswers(buffer.AsSpan(0, length), Name, new List<IPAddress>()));
    }

    [Fact]
    public async Task ResolverQueriesTheIPv4GroupAndTakesTheLegacyUnicastAnswer()
    {
        var socket = new FakeSocket();
        var resolver = new MulticastDnsResolver(f => f == AddressFamily.InterNetwork ? socket : null, TimeProvider.System);

        var resolving = resolver.ResolveAsync(Name, CancellationToken.None);
        var (query, group) = await socket.Sent.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(MulticastDnsResolver.IPv4Group, group);
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(query);
        // Noise first: a malformed datagram and an answer to another query ID; neither ends the wait.
        socket.Deliver([1, 2, 3]);
        socket.Deliver(new ResponseBuilder((ushort)(id + 1)).Record(Name, type: 1, [198, 51, 100, 1]).Build(answers: 1));
        socket.Deliver(new ResponseBuilder(id).Record(Name, type: 1, [198, 51, 100, 7]).Build(answers: 1));

        var addresses = await resolving.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([IPAddress.Parse("198.51.100.7")], addresses);
        Assert.True(socket.Disposed);
    }

    [Fact]
    public async Task UnansweredQueryEndsEmptyWhenTheTokenFires()
    {
        var socket = new FakeSocket();
        var time = new FakeTimeProvider();
        var resolver = new MulticastDnsResolver(f => f == AddressFamily.InterNetwork ? socket : null, time);
        using var timeout = new CancellationTokenSource();

        var resolving = resolver.ResolveAsync(Name, timeout.Token);
        await socket.Sent.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await timeout.CancelAsync();

        Assert.Empty(await resolving.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(socket.Disposed);
    }

    [Fact]
    public async Task NamesOutsideDotLocalAreNotQueried()
    {
        var socket = new FakeSocket();
        var resolver = new MulticastDnsResolver(_ => socket, TimeProvider.System);

        Assert.Empty(await resolver.ResolveAsync("turn.example.org", CancellationToken.None));
        Assert.False(socket.Sent.Reader.TryRead(out _));
    }

    /// <summary>Builds DNS responses (QR=1, AA=1) record by record.</summary>
    private sealed class ResponseBuilder(ushort id)
    {
        private readonly List<byte> _body = [];
        private int _questions;

        public ResponseBuilder Question(string name)
        {
            WriteName(name);
            _body.AddRange([0, 1, 0, 1]);
            _questions++;
            return this;
        }

        public ResponseBuilder Record(string name, ushort type, byte[] data)
        {
            WriteName(name);
            return Tail(type, cacheFlush: false, data);
        }

        public ResponseBuilder Record(bool pointerToQuestion, ushort type, bool cacheFlush, byte[] data)
        {
            Assert.True(pointerToQuestion);
            _body.AddRange([0xC0, 12]);
            return Tail(type, cacheFlush, data);
        }

        public byte[] Build(int answers, int additional = 0)
        {
            byte[] header = [(byte)(id >> 8), (byte)id, 0x84, 0x00, 0, (byte)_questions, 0, (byte)answers, 0, 0, 0, (byte)additional];
            return [.. header, .. _body];
        }

        private ResponseBuilder Tail(ushort type, bool cacheFlush, byte[] data)
        {
            _body.AddRange([(byte)(type >> 8), (byte)type, cacheFlush ? (byte)0x80 : (byte)0, 1, 0, 0, 0, 120, 0, (byte)data.Length]);
            _body.AddRange(data);
            return this;
        }

        private void WriteName(string name)
        {
            foreach (string label in name.Split('.'))
            {
                _body.Add((byte)label.Length);
                _body.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
            }

            _body.Add(0);
        }
    }

    private sealed class FakeSocket : IDatagramTransport
    {
        private readonly Channel<byte[]> _inbound = Channel.CreateUnbounded<byte[]>();

        public Channel<(byte[] Data, EndPoint Group)> Sent { get; } = Channel.CreateUnbounded<(byte[], EndPoint)>();

        public bool Disposed { get; private set; }

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Parse("198.51.100.2"), 50_000);

        public void Deliver(byte[] datagram) => _inbound.Writer.TryWrite(datagram);

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
        {
            Sent.Writer.TryWrite((datagram.ToArray(), remote));
            return ValueTask.CompletedTask;
        }

        public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] data = await _inbound.Reader.ReadAsync(cancellationToken);
            data.CopyTo(buffer);
            return new DatagramReceiveResult(data.Length, new IPEndPoint(IPAddress.Parse("198.51.100.7"), 5353));
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
