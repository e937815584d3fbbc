using System.IO.Hashing;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PeerConnect.Stun;

namespace PeerConnect.Benchmarks;

/// <summary>
/// The STUN codec against the bare cryptography it cannot avoid: one HMAC-SHA1 over the bytes
/// before MESSAGE-INTEGRITY plus one CRC-32 over the bytes before FINGERPRINT, on the RFC 5769
/// §2.1 sample request (an ICE connectivity check). The ratio column is the figure reported.
/// </summary>
[MemoryDiagnoser]
public class StunCodecBenchmarks
{
    private const int IntegrityOffset = 72;
    private const int FingerprintOffset = 96;

    private static readonly byte[] Request = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");

    private readonly byte[] _key = StunCredentials.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
    private readonly byte[] _output = new byte[256];
    private readonly byte[] _mac = new byte[20];
    private readonly TransactionId _transactionId = TransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae"));

    /// <summary>The reference: HMAC-SHA1 and CRC-32 over the same bytes, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public uint RawHmacSha1PlusCrc32()
    {
        HMACSHA1.HashData(_key, Request.AsSpan(0, IntegrityOffset), _mac);
        return Crc32.HashToUInt32(Request.AsSpan(0, FingerprintOffset)) ^ _mac[0];
    }

    /// <summary>Header and attribute validation, then the typed reads an ICE agent does.</summary>
    [Benchmark]
    public uint Parse()
    {
        var reader = StunMessageReader.Parse(Request);
        reader.TryGetUInt32(StunAttributeType.Priority, out uint priority);
        reader.TryGetUInt64(StunAttributeType.IceControlled, out ulong tieBreaker);
        reader.TryGetAttribute(StunAttributeType.Username, out ReadOnlySpan<byte> username);
        return priority ^ (uint)tieBreaker ^ (uint)username.Length;
    }

    /// <summary>Parse, then check MESSAGE-INTEGRITY and FINGERPRINT.</summary>
    [Benchmark]
    public bool ParseAndVerify()
    {
        var reader = StunMessageReader.Parse(Request);
        return reader.VerifyMessageIntegrity(_key) && reader.VerifyFingerprint();
    }

    /// <summary>Write the same request from its fields, with MESSAGE-INTEGRITY and FINGERPRINT.</summary>
    [Benchmark]
    public int Encode()
    {
        var writer = new StunMessageWriter(_output, StunMessageType.BindingRequest, _transactionId);
        writer.WriteString(StunAttributeType.Software, "STUN test client");
        writer.WriteUInt32(StunAttributeType.Priority, 0x6e0001ff);
        writer.WriteUInt64(StunAttributeType.IceControlled, 0x932ff9b151263b36);
        writer.WriteAttribute(StunAttributeType.Username, "evtj:h6vY"u8);
        writer.WriteMessageIntegrity(_key);
        writer.WriteFingerprint();
        return writer.Length;
    }
}
