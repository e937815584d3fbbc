namespace PeerConnect.Stun;

/// <summary>
/// STUN attribute types this library understands. Values 0x0000–0x7FFF are comprehension-required,
/// 0x8000–0xFFFF comprehension-optional (RFC 8489 §14, IANA "STUN Attributes" registry).
/// </summary>
public enum StunAttributeType : ushort
{
    /// <summary>MAPPED-ADDRESS (RFC 8489 §14.1).</summary>
    MappedAddress = 0x0001,
    /// <summary>CHANGE-REQUEST (RFC 5780 §7.2).</summary>
    ChangeRequest = 0x0003,
    /// <summary>USERNAME (RFC 8489 §14.3).</summary>
    Username = 0x0006,
    /// <summary>MESSAGE-INTEGRITY (RFC 8489 §14.5).</summary>
    MessageIntegrity = 0x0008,
    /// <summary>ERROR-CODE (RFC 8489 §14.8).</summary>
    ErrorCode = 0x0009,
    /// <summary>UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).</summary>
    UnknownAttributes = 0x000A,
    /// <summary>CHANNEL-NUMBER (RFC 8656 §18.1).</summary>
    ChannelNumber = 0x000C,
    /// <summary>LIFETIME (RFC 8656 §18.2).</summary>
    Lifetime = 0x000D,
    /// <summary>XOR-PEER-ADDRESS (RFC 8656 §18.3).</summary>
    XorPeerAddress = 0x0012,
    /// <summary>DATA (RFC 8656 §18.4).</summary>
    Data = 0x0013,
    /// <summary>REALM (RFC 8489 §14.9).</summary>
    Realm = 0x0014,
    /// <summary>NONCE (RFC 8489 §14.10).</summary>
    Nonce = 0x0015,
    /// <summary>XOR-RELAYED-ADDRESS (RFC 8656 §18.5).</summary>
    XorRelayedAddress = 0x0016,
    /// <summary>REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).</summary>
    RequestedAddressFamily = 0x0017,
    /// <summary>EVEN-PORT (RFC 8656 §18.7).</summary>
    EvenPort = 0x0018,
    /// <summary>REQUESTED-TRANSPORT (RFC 8656 §18.8).</summary>
    RequestedTransport = 0x0019,
    /// <summary>DONT-FRAGMENT (RFC 8656 §18.9).</summary>
    DontFragment = 0x001A,
    /// <summary>MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).</summary>
    MessageIntegritySha256 = 0x001C,
    /// <summary>PASSWORD-ALGORITHM (RFC 8489 §14.12).</summary>
    PasswordAlgorithm = 0x001D,
    /// <summary>USERHASH (RFC 8489 §14.4).</summary>
    Userhash = 0x001E,
    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2).</summary>
    XorMappedAddress = 0x0020,
    /// <summary>RESERVATION-TOKEN (RFC 8656 §18.10).</summary>
    ReservationToken = 0x0022,
    /// <summary>PRIORITY (RFC 8445 §16.1).</summary>
    Priority = 0x0024,
    /// <summary>USE-CANDIDATE (RFC 8445 §16.1).</summary>
    UseCandidate = 0x0025,
    /// <summary>PADDING (RFC 5780 §7.6).</summary>
    Padding = 0x0026,
    /// <summary>RESPONSE-PORT (RFC 5780 §7.5).</summary>
    ResponsePort = 0x0027,
    /// <summary>CONNECTION-ID (RFC 6062 §6.2.1).</summary>
    ConnectionId = 0x002A,
    /// <summary>ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).</summary>
    AdditionalAddressFamily = 0x8000,
    /// <summary>ADDRESS-ERROR-CODE (RFC 8656 §18.12).</summary>
    AddressErrorCode = 0x8001,
    /// <summary>PASSWORD-ALGORITHMS (RFC 8489 §14.11).</summary>
    PasswordAlgorithms = 0x8002,
    /// <summary>ALTERNATE-DOMAIN (RFC 8489 §14.16).</summary>
    AlternateDomain = 0x8003,
    /// <summary>ICMP (RFC 8656 §18.13).</summary>
    Icmp = 0x8004,
    /// <summary>SOFTWARE (RFC 8489 §14.14).</summary>
    Software = 0x8022,
    /// <summary>ALTERNATE-SERVER (RFC 8489 §14.15).</summary>
    AlternateServer = 0x8023,
    /// <summary>FINGERPRINT (RFC 8489 §14.7).</summary>
    Fingerprint = 0x8028,
    /// <summary>ICE-CONTROLLED (RFC 8445 §16.1).</summary>
    IceControlled = 0x8029,
    /// <summary>ICE-CONTROLLING (RFC 8445 §16.1).</summary>
    IceControlling = 0x802A,
    /// <summary>RESPONSE-ORIGIN (RFC 5780 §7.3).</summary>
    ResponseOrigin = 0x802B,
    /// <summary>OTHER-ADDRESS (RFC 5780 §7.4).</summary>
    OtherAddress = 0x802C,
}

/// <summary>Classification of attribute types.</summary>
public static class StunAttributeTypes
{
    /// <summary>True for 0x0000–0x7FFF: an agent that does not understand it must reject the request (RFC 8489 §14).</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>True when this library knows how to read the attribute.</summary>
    public static bool IsKnown(ushort type) => Enum.IsDefined((StunAttributeType)type);
}
