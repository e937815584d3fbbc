namespace PeerConnect.Stun.Tests.Messages;

/// <summary>The test vectors of RFC 5769 §2 and RFC 8489 Appendix B.1 (as corrected by erratum 6268), byte for byte.</summary>
internal static class Rfc5769Vectors
{
    public const string ShortTermUsername = "evtj:h6vY";
    public const string ShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";
    public const string RequestSoftware = "STUN test client";
    public const string ResponseSoftware = "test vector";
    public static readonly byte[] ShortTermTransactionId = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    public const string LongTermUsername = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
    public const string LongTermPassword = "TheMatrIX";
    public const string LongTermNonce = "f//499k954d6OL34oL9FSTvy64sA";
    public const string Realm = "example.org";
    public const string Sha256Nonce = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";
    public static readonly byte[] LongTermTransactionId = Convert.FromHexString("78ad3433c6ad72c029da412e");

    // RFC 5769 §2.1 Sample Request (username padded with spaces).
    public static readonly byte[] Request = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "802200105354554e207465737420636c69656e74" +
        "002400046e0001ff" +
        "80290008932ff9b151263b36" +
        "000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004e57a3bcf");

    // RFC 5769 §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.
    public static readonly byte[] IPv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "00200008" + "0001a147e112a643" +
        "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004c07d4c96");

    // RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    public static readonly byte[] IPv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "00200014" + "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004c8fb0b4c");

    // RFC 5769 §2.4 Sample Request with Long-Term Authentication.
    public static readonly byte[] LongTermRequest = Convert.FromHexString(
        "000100602112a442" + "78ad3433c6ad72c029da412e" +
        "00060012" + "e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c" + "662f2f3439396b39353464364f4c33346f4c394653547679363473 41".Replace(" ", "", StringComparison.Ordinal) +
        "0014000b" + "6578616d706c652e6f726700" +
        "00080014" + "f67024656dd64a3e02b8e0712e85c9a28ca89666");

    // RFC 8489 Appendix B.1 with erratum 6268: USERHASH, NONCE, REALM, PASSWORD-ALGORITHM, MESSAGE-INTEGRITY-SHA256.
    public static readonly byte[] Sha256Request = Convert.FromHexString(
        "000100902112a442" + "78ad3433c6ad72c029da412e" +
        "001e0020" + "4a3cf38fef6992bda952c6780417da0f248194155 69e60b205c46e41407f1704".Replace(" ", "", StringComparison.Ordinal) +
        "00150029" + "6f624d61744a6f73324141414366 2f2f3439396b39353464364f4c33346f4c39465354767936347341000000".Replace(" ", "", StringComparison.Ordinal) +
        "0014000b" + "6578616d706c652e6f726700" +
        "001d0004" + "00020000" +
        "001c0020" + "b5c7bf005b6c52a21c51c5e892f81924136296cb927c43149309278cc6518e65");
}
