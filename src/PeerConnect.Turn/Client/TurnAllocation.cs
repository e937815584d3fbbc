using System.Net;

namespace PeerConnect.Turn.Client;

/// <summary>What an Allocate success response granted (RFC 8656 §7.3).</summary>
/// <param name="RelayedEndPoint">XOR-RELAYED-ADDRESS: where peers send to reach this client; the ICE relay candidate.</param>
/// <param name="MappedEndPoint">XOR-MAPPED-ADDRESS: the client's address as the server saw it; a server-reflexive candidate.</param>
/// <param name="Lifetime">LIFETIME granted; the client refreshes before it runs out.</param>
public sealed record TurnAllocation(IPEndPoint RelayedEndPoint, IPEndPoint? MappedEndPoint, TimeSpan Lifetime);
