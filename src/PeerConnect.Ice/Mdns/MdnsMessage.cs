using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PeerConnect.Ice.Mdns;

/// <summary>
/// The two DNS messages a one-shot Multicast DNS resolver needs (RFC 6762 §5.1): an A + AAAA query for one
/// <c>.local</c> name, and the address records of an answer. Wire format, RFC 1035 §4.1.1:
/// <code>
///  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
/// |                    QDCOUNT                    |
/// |                    ANCOUNT                    |
/// |                    NSCOUNT                    |
/// |                    ARCOUNT                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// then questions (QNAME, QTYPE, QCLASS, §4.1.2) and resource records (NAME, TYPE, CLASS, TTL, RDLENGTH,
/// RDATA, §4.1.3). Names are length-prefixed labels ending in a zero byte, or a 14-bit pointer back into the
/// message (top two bits 11, §4.1.4). In mDNS the top bit of a question's QCLASS asks for a unicast response
/// (RFC 6762 §5.4) and the top bit of a record's CLASS is cache-flush (§10.2); both are masked off when reading.
/// </summary>
public static class MdnsMessage
{
    /// <summary>RFC 6762 §17: a Multicast DNS message may be up to 9000 bytes.</summary>
    public const int MaxMessageLength = 9000;

    /// <summary>RFC 1035 §2.3.4: a name is at most 255 bytes on the wire, a label at most 63.</summary>
    public const int MaxNameLength = 255;

    private const int HeaderLength = 12;
    private const ushort TypeA = 1;
    private const ushort TypeAaaa = 28;
    private const ushort ClassInternet = 1;
    private const ushort ClassMask = 0x7FFF;
    private const ushort FlagResponse = 0x8000;
    private const ushort OpcodeMask = 0x7800;
    private const ushort RcodeMask = 0x000F;
    private const byte PointerTag = 0xC0;
    // A pointer must go backwards, so a message of 9000 bytes holds fewer jumps than this; the cap stops loops early.
    private const int MaxPointerJumps = 32;

    /// <summary>Writes a standard query (QR=0, opcode 0, RD=0) with one A and one AAAA question for <paramref name="name"/>.</summary>
    /// <param name="destination">At least <see cref="MaxNameLength"/> + 24 bytes.</param>
    /// <param name="id">Query ID; RFC 6762 §6.7 legacy unicast responses echo it.</param>
    /// <param name="name">A host name such as <c>1f2e….local</c>.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="ArgumentException">The name has an empty, over-long or non-ASCII label, or is too long.</exception>
    public static int WriteQuery(Span<byte> destination, ushort id, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 2); // QDCOUNT
        destination[6..HeaderLength].Clear();                   // ANCOUNT, NSCOUNT, ARCOUNT
        int offset = HeaderLength;
        int nameStart = offset;
        offset += WriteName(destination[offset..], name);
        offset += WriteQuestionTail(destination[offset..], TypeA);
        // The second question names the first by pointer (RFC 1035 §4.1.4).
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)((PointerTag << 8) | nameStart));
        offset += 2;
        offset += WriteQuestionTail(destination[offset..], TypeAaaa);
        return offset;
    }

    /// <summary>
    /// Reads the A and AAAA records for <paramref name="name"/> from a response: answers and additional records,
    /// as responders may put addresses in either (RFC 6762 §6.2). Other records and names are skipped.
    /// </summary>
    /// <param name="message">The received datagram.</param>
    /// <param name="name">The name asked for; compared without regard to ASCII case (RFC 6762 §16).</param>
    /// <param name="addresses">Receives the addresses found.</param>
    /// <returns>The message ID.</returns>
    /// <exception cref="MdnsFormatException">The message is not a well-formed response.</exception>
    public static ushort ReadAnswers(ReadOnlySpan<byte> message, string name, ICollection<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(addresses);
        if (message.Length > MaxMessageLength)
        {
            throw new MdnsFormatException($"Message of {message.Length} bytes is longer than RFC 6762's {MaxMessageLength}.");
        }

        if (message.Length < HeaderLength)
        {
            throw new MdnsFormatException("Message shorter than the 12-byte DNS header.");
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & FlagResponse) == 0 || (flags & OpcodeMask) != 0)
        {
            throw new MdnsFormatException("Not a standard query response (QR must be 1, opcode 0).");
        }

        if ((flags & RcodeMask) != 0)
        {
            // RFC 6762 §18.11: responses with a non-zero RCODE are silently ignored.
            return id;
        }

        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int records = BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]) + BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        int offset = HeaderLength;
        Span<char> scratch = stackalloc char[MaxNameLength];
        for (int i = 0; i < questions; i++)
        {
            ReadName(message, ref offset, scratch);
            Need(message, offset, 4, "question");
            offset += 4;
        }

        for (int i = 0; i < records; i++)
        {
            int nameLength = ReadName(message, ref offset, scratch);
            Need(message, offset, 10, "resource record");
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            ushort recordClass = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]) & ClassMask);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            Need(message, offset, dataLength, "RDATA");
            ReadOnlySpan<byte> data = message.Slice(offset, dataLength);
            offset += dataLength;
            if (recordClass != ClassInternet || !scratch[..nameLength].Equals(name.AsSpan().TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if ((type == TypeA && dataLength == 4) || (type == TypeAaaa && dataLength == 16))
            {
                addresses.Add(new IPAddress(data));
            }
        }

        return id;
    }

    private static int WriteName(Span<byte> destination, string name)
    {
        string trimmed = name.TrimEnd('.');
        if (trimmed.Length == 0 || trimmed.Length + 2 > MaxNameLength)
        {
            throw new ArgumentException($"'{name}' is not a host name of 1–{MaxNameLength - 2} characters.", nameof(name));
        }

        int offset = 0;
        foreach (Range range in trimmed.AsSpan().Split('.'))
        {
            ReadOnlySpan<char> label = trimmed.AsSpan()[range];
            if (label.Length is 0 or > 63 || !Ascii.IsValid(label))
            {
                throw new ArgumentException($"'{name}' has an empty, over-long (> 63) or non-ASCII label.", nameof(name));
            }

            destination[offset++] = (byte)label.Length;
            offset += Encoding.ASCII.GetBytes(label, destination[offset..]);
        }

        destination[offset++] = 0;
        return offset;
    }

    private static int WriteQuestionTail(Span<byte> destination, ushort type)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        // QU bit clear: a one-shot query from a port other than 5353 gets a unicast answer anyway (RFC 6762 §6.7).
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ClassInternet);
        return 4;
    }

    /// <summary>Reads a possibly compressed name at <paramref name="offset"/> as dotted text into <paramref name="text"/>; moves the offset past it.</summary>
    private static int ReadName(ReadOnlySpan<byte> message, ref int offset, Span<char> text)
    {
        int position = offset;
        int written = 0;
        int wireLength = 0;
        bool jumped = false;
        for (int jumps = 0; ; )
        {
            Need(message, position, 1, "name");
            byte length = message[position];
            if ((length & PointerTag) == PointerTag)
            {
                Need(message, position, 2, "name pointer");
                int target = BinaryPrimitives.ReadUInt16BigEndian(message[position..]) & 0x3FFF;
                // Pointers go to earlier names only; together with the jump cap this ends every loop.
                if (target >= position || ++jumps > MaxPointerJumps)
                {
                    throw new MdnsFormatException($"Name compression pointer at {position} does not point backwards.");
                }

                if (!jumped)
                {
                    offset = position + 2;
                    jumped = true;
                }

                position = target;
                continue;
            }

            if ((length & PointerTag) != 0)
            {
                throw new MdnsFormatException($"Reserved label type 0x{length:x2} at {position}.");
            }

            position++;
            if (length == 0)
            {
                break;
            }

            wireLength += length + 1;
            Need(message, position, length, "label");
            if (wireLength + 1 > MaxNameLength)
            {
                throw new MdnsFormatException($"Name longer than {MaxNameLength} bytes.");
            }

            if (written > 0)
            {
                text[written++] = '.';
            }

            foreach (byte b in message.Slice(position, length))
            {
                text[written++] = (char)b;
            }

            position += length;
        }

        if (!jumped)
        {
            offset = position;
        }

        return written;
    }

    private static void Need(ReadOnlySpan<byte> message, int offset, int count, string what)
    {
        if (offset + count > message.Length)
        {
            throw new MdnsFormatException($"Message ends inside a {what} at byte {offset}.");
        }
    }
}
