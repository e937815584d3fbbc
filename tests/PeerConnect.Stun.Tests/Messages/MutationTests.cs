using System.Net;

namespace PeerConnect.Stun.Tests.Messages;

/// <summary>
/// Randomly mutated valid messages: the reader either accepts them or reports a parse error; it
/// never throws anything else, and every typed getter on an accepted message stays well-behaved.
/// </summary>
public sealed class MutationTests
{
    private const int Iterations = 120_000;

    private static readonly byte[][] Seeds =
    [
        Rfc5769Vectors.Request,
        Rfc5769Vectors.IPv4Response,
        Rfc5769Vectors.IPv6Response,
        Rfc5769Vectors.LongTermRequest,
        Rfc5769Vectors.Sha256Request,
        ErrorResponseSeed(),
    ];

    [Fact]
    public void MutatedMessagesNeverThrowAnythingButParseErrors()
    {
        var random = new Random(5769);
        var buffer = new byte[1024];
        int accepted = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] seed = Seeds[random.Next(Seeds.Length)];
            int length = Mutate(random, seed, buffer);
            ReadOnlySpan<byte> candidate = buffer.AsSpan(0, length);

            if (StunMessageReader.TryParse(candidate, out StunMessageReader reader, out StunParseError error))
            {
                accepted++;
                ExerciseEveryGetter(reader);
            }
            else
            {
                Assert.NotEqual(StunParseError.None, error);
                var thrown = Assert.Throws<StunParseException>(() => StunMessageReader.Parse(buffer.AsSpan(0, length)));
                Assert.Equal(error, thrown.Error);
            }
        }

        // Sanity: the mutations are mild enough that many survive to exercise the getters.
        Assert.InRange(accepted, Iterations / 20, Iterations);
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingButParseErrors()
    {
        var random = new Random(8489);
        var buffer = new byte[600];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (StunMessageReader.TryParse(buffer.AsSpan(0, length), out StunMessageReader reader, out _))
            {
                ExerciseEveryGetter(reader);
            }
        }
    }

    private static int Mutate(Random random, byte[] seed, byte[] buffer)
    {
        seed.CopyTo(buffer, 0);
        int length = seed.Length;
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0: // flip a bit anywhere
                    buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // overwrite a byte inside the attributes, often hitting a length field
                    buffer[StunConstants.HeaderLength + random.Next(Math.Max(1, length - StunConstants.HeaderLength))] = (byte)random.Next(256);
                    break;
                case 2: // truncate
                    length = random.Next(length + 1);
                    break;
                case 3: // extend with random bytes, fixing the header length to match sometimes
                    int extra = random.Next(1, 64);
                    random.NextBytes(buffer.AsSpan(length, extra));
                    length += extra;
                    if (random.Next(2) == 0 && length >= StunConstants.HeaderLength)
                    {
                        int body = length - StunConstants.HeaderLength;
                        buffer[2] = (byte)(body >> 8);
                        buffer[3] = (byte)body;
                    }

                    break;
                case 4: // rewrite an attribute length field to a random value
                    if (length > StunConstants.HeaderLength + 4)
                    {
                        int at = StunConstants.HeaderLength + (random.Next((length - StunConstants.HeaderLength) / 4) * 4) + 2;
                        if (at + 1 < length)
                        {
                            buffer[at] = (byte)random.Next(256);
                            buffer[at + 1] = (byte)random.Next(256);
                        }
                    }

                    break;
                default: // rewrite the header length
                    if (length >= 4)
                    {
                        buffer[2] = (byte)random.Next(256);
                        buffer[3] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return length;
    }

    private static void ExerciseEveryGetter(StunMessageReader reader)
    {
        _ = reader.TransactionId;
        _ = reader.Type;
        foreach (StunAttribute attribute in reader.Attributes)
        {
            _ = attribute.Value.Length;
        }

        foreach (StunAttributeType type in Enum.GetValues<StunAttributeType>())
        {
            _ = reader.TryGetXorAddress(type, out IPEndPoint _);
            _ = reader.TryGetAddress(type, out IPEndPoint _);
            _ = reader.TryGetString(type, out _);
            _ = reader.TryGetUInt32(type, out _);
            _ = reader.TryGetUInt64(type, out _);
        }

        _ = reader.TryGetErrorCode(out _, out _);
        _ = reader.TryGetChangeRequest(out _, out _);
        _ = reader.TryGetResponsePort(out _);
        _ = reader.TryGetPasswordAlgorithm(out _);
        _ = reader.CopyPasswordAlgorithms(new StunPasswordAlgorithm[4]);
        _ = reader.CopyUnknownAttributes(new ushort[4]);
        _ = reader.CopyUnknownComprehensionRequired(new ushort[4]);
        _ = reader.VerifyMessageIntegrity("key"u8);
        _ = reader.VerifyMessageIntegritySha256("key"u8);
        _ = reader.VerifyFingerprint();
    }

    private static byte[] ErrorResponseSeed()
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingError, TransactionId.NewRandom());
        writer.WriteErrorCode(StunErrorCodes.UnknownAttribute, "Unknown Attribute");
        writer.WriteUnknownAttributes([0x7777, 0x0042]);
        writer.WriteString(StunAttributeType.Realm, "example.org");
        writer.WriteString(StunAttributeType.Nonce, "obMatJos2AAACabc");
        writer.WritePasswordAlgorithms([StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5]);
        writer.WriteAddress(StunAttributeType.OtherAddress, new IPEndPoint(IPAddress.Parse("192.0.2.7"), 3479));
        writer.WriteAddress(StunAttributeType.ResponseOrigin, new IPEndPoint(IPAddress.IPv6Loopback, 3478));
        writer.WriteChangeRequest(true, true);
        writer.WriteResponsePort(4000);
        writer.WriteMessageIntegrity("key"u8);
        writer.WriteMessageIntegritySha256("key"u8, 16);
        writer.WriteFingerprint();
        return writer.WrittenSpan.ToArray();
    }
}
