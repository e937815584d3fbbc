using System.Buffers;
using System.Text;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Protocol;

public sealed class CodecTests
{
    public static TheoryData<SignalingMessage> EveryMessage => new()
    {
        new WelcomeMessage("s1", "token", true, 15000, 45000, 30000, 65536, [new IceServerInfo(["stun:h:3478"]), new IceServerInfo(["turn:h:3478"], "1:u", "c")]) { Seq = 4 },
        new PingMessage(3),
        new PingMessage { Seq = 9 },
        new PongMessage(2),
        new AckMessage(12),
        new JoinMessage("room.1", "Ann", new Dictionary<string, string> { ["k"] = "v" }) { Id = 1 },
        new JoinedMessage("room.1", [new PeerInfo("p", "u", "n", new Dictionary<string, string> { ["a"] = "b" }), new PeerInfo("q", "u2")]) { Seq = 1, Ref = 1 },
        new LeaveMessage("room.1") { Id = 2 },
        new LeftMessage("room.1") { Seq = 2, Ref = 2 },
        new PeerJoinedMessage("r", new PeerInfo("p", "u")) { Seq = 3 },
        new PeerLeftMessage("r", "p", PeerLeftReason.Expired) { Seq = 4 },
        new SignalMessage(SignalKind.Offer) { To = "p", Id = 5, Sdp = "v=0\r\n" },
        new SignalMessage(SignalKind.Candidate) { To = "p", Ack = 41, Candidate = new IceCandidateInit("candidate:1", "0", 0) },
        new SignalMessage(SignalKind.Candidate) { From = "p", Seq = 6, Candidate = new IceCandidateInit("candidate:1", "0", 0, "uf") },
        new SignalMessage(SignalKind.EndOfCandidates) { To = "p" },
        new SignalMessage(SignalKind.Renegotiate) { To = "p" },
        new SignalMessage(SignalKind.Hangup) { To = "p", Reason = "done" },
        new SignalMessage(SignalKind.App) { To = "p", Data = "ünïcode" },
        new ExpiredMessage("p", SignalKind.Answer) { Seq = 7, Ref = 5 },
        new ErrorMessage(SignalingErrorCode.RoomFull, "full") { Seq = 8, Ref = 1 },
    };

    [Theory]
    [MemberData(nameof(EveryMessage))]
    public void EveryMessageRoundTripsInBothEncodings(SignalingMessage message)
    {
        foreach (var codec in new[] { SignalingCodec.Json, SignalingCodec.Cbor })
        {
            var decoded = codec.Decode(codec.Encode(message));
            Assert.Equal(codec.Encode(message), codec.Encode(decoded));
            Assert.Equal(message.GetType(), decoded.GetType());
            Assert.Equal(message.Seq, decoded.Seq);
        }
    }

    [Fact]
    public void JsonPutsTypeFirstAndOmitsAbsentFields()
    {
        var json = Encoding.UTF8.GetString(SignalingCodec.Json.Encode(new SignalMessage(SignalKind.Offer) { To = "bob", Id = 3, Sdp = "v=0\r\n" }));
        Assert.Equal("""{"type":"signal","id":3,"to":"bob","kind":"offer","sdp":"v=0\r\n"}""", json);
    }

    [Fact]
    public void AHolderNumbersAMessageAsItWritesIt()
    {
        var signal = new SignalMessage(SignalKind.Hangup) { From = "ann", Seq = 2 };
        foreach (var codec in new[] { SignalingCodec.Json, SignalingCodec.Cbor })
        {
            var numbered = new ArrayBufferWriter<byte>();
            codec.Encode(signal, 9, numbered);
            Assert.Equal(codec.Encode(signal with { Seq = 9 }), numbered.WrittenSpan.ToArray());

            var own = new ArrayBufferWriter<byte>();
            codec.Encode(signal, own);
            Assert.Equal(2, codec.Decode(own.WrittenMemory).Seq);
        }
    }

    [Fact]
    public void CborIsAMapWithTheSameKeys()
    {
        var cbor = SignalingCodec.Cbor.Encode(new PingMessage { Seq = 0 });
        // map(2) "type" "ping" "seq" 0
        Assert.Equal("A2647479706564706" + "96E676373657100", Convert.ToHexString(cbor));
    }

    [Theory]
    [InlineData("{\"type\":\"ping\",\"ack\":-1}")]
    [InlineData("{\"type\":\"ping\",\"ack\":\"1\"}")]
    [InlineData("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}},\"type\":\"ping\"}")]
    [InlineData("{\"type\":\"join\",\"room\":\"r\",\"metadata\":{\"k\":1}}")]
    [InlineData("{\"type\":\"peer-left\",\"room\":\"r\",\"peer\":\"p\",\"reason\":\"bored\"}")]
    [InlineData("\"ping\"")]
    public void InvalidJsonIsAProtocolError(string json) =>
        Assert.Throws<SignalingProtocolException>(() => SignalingCodec.Json.Decode(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("")]
    [InlineData("A1")]
    [InlineData("A101647069" + "6E67")]
    [InlineData("A164747970654170")]
    [InlineData("A16474797065F93C00")]
    [InlineData("A1647479706564706" + "96E67" + "A1")]
    public void InvalidCborIsAProtocolError(string hex) =>
        Assert.Throws<SignalingProtocolException>(() => SignalingCodec.Cbor.Decode(Convert.FromHexString(hex)));

    /// <summary>The CBOR examples in docs/signaling-protocol.md, byte for byte.</summary>
    [Fact]
    public void TheDocumentedCborExamplesAreWhatTheCodecWrites()
    {
        Assert.Equal(
            "A46474797065646A6F696E6269640164726F6F6D6464656D6F646E616D6565416C696365",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new JoinMessage("demo", "Alice") { Id = 1 })));
        Assert.Equal(
            "A56474797065666A6F696E65646373657101637265660164726F6F6D6464656D6F676D656D6265727380",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new JoinedMessage("demo", []) { Seq = 1, Ref = 1 })));
        Assert.Equal(
            "A46474797065667369676E616C6269640262746F6462375178646B696E646668616E677570",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new SignalMessage(SignalKind.Hangup) { Id = 2, To = "b7Qx" })));
        Assert.Equal(
            "A56474797065656572726F726373657104637265660264636F64656C756E6B6E6F776E5F70656572676D6573736167656F4E6F2070656572202762375178272E",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new ErrorMessage(SignalingErrorCode.UnknownPeer, "No peer 'b7Qx'.") { Seq = 4, Ref = 2 })));
        Assert.Equal(
            "A56474797065667369676E616C646373657107626964046274" + "6F6462375178646B696E6471656E642D6F662D63616E64696461746573",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new SignalMessage(SignalKind.EndOfCandidates) { ClientSeq = 7, Id = 4, To = "b7Qx" })));
        Assert.Equal(
            "A3647479706564706F6E676373657105636163" + "6B07",
            Convert.ToHexString(SignalingCodec.Cbor.Encode(new PongMessage(7) { Seq = 5 })));
    }

    [Fact]
    public void ClientSequenceNumbersAndTheirAcknowledgementRoundTripInBothEncodings()
    {
        var welcome = new WelcomeMessage("s1", "token", true, 15000, 45000, 30000, 65536, []) { Seq = 8, Ack = 7 };
        var signal = new SignalMessage(SignalKind.Offer) { ClientSeq = 7, Id = 2, To = "b7Qx", Sdp = "v=0\r\n" };
        foreach (var codec in new[] { SignalingCodec.Json, SignalingCodec.Cbor })
        {
            Assert.Equal(7, ((WelcomeMessage)codec.Decode(codec.Encode(welcome))).Ack);
            Assert.Equal(signal, codec.Decode(codec.Encode(signal)));
        }

        Assert.Equal(
            """{"type":"signal","cseq":7,"id":2,"to":"b7Qx","kind":"offer","sdp":"v=0\r\n"}""",
            Encoding.UTF8.GetString(SignalingCodec.Json.Encode(signal)));
        Assert.Throws<SignalingProtocolException>(() => SignalingCodec.Json.Decode("""{"type":"signal","cseq":0,"to":"p","kind":"renegotiate"}"""u8.ToArray()));
    }

    [Fact]
    public void IndefiniteLengthCborMapsAreAccepted()
    {
        // map(_) "type" "ping" break
        var message = SignalingCodec.Cbor.Decode(Convert.FromHexString("BF" + "6474797065" + "6470696E67" + "FF"));
        Assert.IsType<PingMessage>(message);
    }

    [Fact]
    public void RoomIdsAreLimitedTo128Characters()
    {
        var json = $$"""{"type":"join","room":"{{new string('x', 129)}}"}""";
        Assert.Throws<SignalingProtocolException>(() => SignalingCodec.Json.Decode(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void TheRequestIdSurvivesAnInvalidMessage()
    {
        var error = Assert.Throws<SignalingProtocolException>(() => SignalingCodec.Json.Decode("""{"type":"join","id":42}"""u8.ToArray()));
        Assert.Equal(42, error.RequestId);
    }

    [Fact]
    public void DecodedMessagesKeepTheirFieldsWhileTheThreadDecodesAndEncodesOthers()
    {
        // The codec reuses its maps per thread; nothing decoded may point into them.
        foreach (var codec in new[] { SignalingCodec.Json, SignalingCodec.Cbor })
        {
            var first = (PeerJoinedMessage)codec.Decode(codec.Encode(new PeerJoinedMessage("r1", new PeerInfo("p1", "u1", "n1", new Dictionary<string, string> { ["k"] = "v1" })) { Seq = 1 }));
            var second = (SignalMessage)codec.Decode(codec.Encode(new SignalMessage(SignalKind.Candidate) { From = "p2", Seq = 2, Candidate = new IceCandidateInit("candidate:2", "0", 0) }));
            Assert.Throws<SignalingProtocolException>(() => codec.Decode(codec.Encode(new JoinMessage("r") { Id = 1 })[..^2]));
            codec.Encode(new JoinedMessage("r3", [new PeerInfo("p3", "u3", "n3", new Dictionary<string, string> { ["k"] = "v3" })]) { Seq = 3 });

            Assert.Equal(("r1", "p1", "n1", "v1"), (first.Room, first.Peer.Id, first.Peer.Name, first.Peer.Metadata!["k"]));
            Assert.Equal(("p2", "candidate:2", "0"), (second.From, second.Candidate!.Candidate, second.Candidate.SdpMid));
        }
    }

    [Fact]
    public void PooledMapsAreEmptyAgainAfterTheScopeAndOnlyTheOuterScopeEmptiesThem()
    {
        WireMap outerMap;
        using (WireMaps.Open())
        {
            outerMap = WireMaps.Next().Add("a", "1");
            using (WireMaps.Open())
            {
                WireMaps.Next().Add("b", "2");
            }

            Assert.Equal(1, outerMap.Count);
        }

        Assert.Equal(0, outerMap.Count);
        var unpooled = WireMaps.Next();
        Assert.NotSame(outerMap, unpooled);
    }

    [Fact]
    public void AMapGrownByALargeMessageShrinksWhenReused()
    {
        var many = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"k{i}\":{i}"));
        // Unknown fields are ignored, so this is a ping whose map grew to a thousand entries.
        Assert.IsType<PingMessage>(SignalingCodec.Json.Decode(Encoding.UTF8.GetBytes($"{{\"type\":\"ping\",{many}}}")));
        var ping = SignalingCodec.Json.Decode("""{"type":"ping","ack":3}"""u8.ToArray());
        Assert.Equal(3, Assert.IsType<PingMessage>(ping).Ack);
    }
}
