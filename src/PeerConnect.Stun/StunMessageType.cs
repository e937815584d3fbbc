namespace PeerConnect.Stun;

/// <summary>The class of a STUN message (RFC 8489 §5).</summary>
public enum StunMessageClass
{
    /// <summary>A request, answered by a response.</summary>
    Request = 0,
    /// <summary>An indication, never answered.</summary>
    Indication = 1,
    /// <summary>A success response.</summary>
    SuccessResponse = 2,
    /// <summary>An error response, carrying ERROR-CODE.</summary>
    ErrorResponse = 3,
}

/// <summary>STUN methods: Binding (RFC 8489), TURN (RFC 8656) and TURN-TCP (RFC 6062).</summary>
public enum StunMethod : ushort
{
    /// <summary>Binding (RFC 8489 §18.1).</summary>
    Binding = 0x001,
    /// <summary>TURN Allocate (RFC 8656 §7).</summary>
    Allocate = 0x003,
    /// <summary>TURN Refresh (RFC 8656 §8).</summary>
    Refresh = 0x004,
    /// <summary>TURN Send indication (RFC 8656 §11).</summary>
    Send = 0x006,
    /// <summary>TURN Data indication (RFC 8656 §11).</summary>
    Data = 0x007,
    /// <summary>TURN CreatePermission (RFC 8656 §10).</summary>
    CreatePermission = 0x008,
    /// <summary>TURN ChannelBind (RFC 8656 §12).</summary>
    ChannelBind = 0x009,
    /// <summary>TURN-TCP Connect (RFC 6062 §6.2).</summary>
    Connect = 0x00A,
    /// <summary>TURN-TCP ConnectionBind (RFC 6062 §6.3).</summary>
    ConnectionBind = 0x00B,
    /// <summary>TURN-TCP ConnectionAttempt (RFC 6062 §6.3).</summary>
    ConnectionAttempt = 0x00C,
}

/// <summary>A STUN message type: a 12-bit method interleaved with a 2-bit class.</summary>
/// <param name="Method">The method.</param>
/// <param name="Class">The class.</param>
public readonly record struct StunMessageType(StunMethod Method, StunMessageClass Class)
{
    // RFC 8489 §5: the class bits C1 C0 sit at positions 8 and 4 of the 14-bit type;
    // the method bits fill the rest, most significant first.
    //
    //   0                 1
    //   2  3  4 5 6 7 8 9 0 1 2 3 4 5
    //  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
    //  |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
    //  |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
    //  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
    private const int MethodLowMask = 0x000F;
    private const int MethodMiddleMask = 0x0070;
    private const int MethodHighMask = 0x0F80;
    private const int ClassLowBit = 0x0010;
    private const int ClassHighBit = 0x0100;

    /// <summary>Binding request.</summary>
    public static StunMessageType BindingRequest => new(StunMethod.Binding, StunMessageClass.Request);

    /// <summary>Binding success response.</summary>
    public static StunMessageType BindingSuccess => new(StunMethod.Binding, StunMessageClass.SuccessResponse);

    /// <summary>Binding error response.</summary>
    public static StunMessageType BindingError => new(StunMethod.Binding, StunMessageClass.ErrorResponse);

    /// <summary>Encodes the type as the first 16 bits of the header (the top two bits are zero).</summary>
    public ushort ToWire()
    {
        int m = (int)Method;
        int c = (int)Class;
        return (ushort)((m & MethodLowMask)
            | ((m & MethodMiddleMask) << 1)
            | ((m & MethodHighMask) << 2)
            | ((c & 1) != 0 ? ClassLowBit : 0)
            | ((c & 2) != 0 ? ClassHighBit : 0));
    }

    /// <summary>Decodes the first 16 bits of a header. The top two bits must already be known to be zero.</summary>
    public static StunMessageType FromWire(ushort value)
    {
        int method = (value & MethodLowMask)
            | ((value >> 1) & MethodMiddleMask)
            | ((value >> 2) & MethodHighMask);
        int cls = ((value & ClassLowBit) != 0 ? 1 : 0) | ((value & ClassHighBit) != 0 ? 2 : 0);
        return new StunMessageType((StunMethod)method, (StunMessageClass)cls);
    }

    /// <summary>The response type that answers this request type.</summary>
    public StunMessageType ToResponse(bool success) =>
        new(Method, success ? StunMessageClass.SuccessResponse : StunMessageClass.ErrorResponse);
}
