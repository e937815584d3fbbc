namespace PeerConnect.Stun.Client;

/// <summary>Optional RFC 5780 attributes of one Binding request.</summary>
public sealed record BindingRequestOptions
{
    /// <summary>No extra attributes: a plain RFC 8489 Binding request.</summary>
    public static BindingRequestOptions None { get; } = new();

    /// <summary>CHANGE-REQUEST "change IP" flag: ask the server to answer from its alternate address.</summary>
    public bool ChangeIp { get; init; }

    /// <summary>CHANGE-REQUEST "change port" flag: ask the server to answer from its alternate port.</summary>
    public bool ChangePort { get; init; }

    /// <summary>RESPONSE-PORT (RFC 5780 §7.5): ask for the response on this port of the request's source address.</summary>
    public int? ResponsePort { get; init; }
}
