using System.Globalization;
using System.Text.Json;
using PeerConnect.Stun.NatBehavior;

namespace PeerConnect.Cli;

/// <summary>Prints a probe report as plain text or JSON.</summary>
internal static class StunProbeOutput
{
    public static void WriteText(TextWriter output, StunProbeReport report)
    {
        var binding = report.Binding;
        output.WriteLine($"Server:          {report.Uri} ({report.Server})");
        output.WriteLine($"Mapped address:  {binding.MappedAddress}");
        output.WriteLine($"Local address:   {report.LocalEndPoint}");
        output.WriteLine($"Software:        {binding.Software ?? "(not sent)"}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Round trip:      {binding.RoundTripTime.TotalMilliseconds:0.###} ms"));
        if (report.Nat is { } nat)
        {
            output.WriteLine($"Other address:   {nat.OtherAddress}");
            output.WriteLine($"NAT mapping:     {Describe(nat.Mapping)}");
            output.WriteLine($"NAT filtering:   {Describe(nat.Filtering)}");
        }
        else if (report.NatError is not null)
        {
            output.WriteLine($"NAT behaviour:   not determined ({report.NatError})");
        }
        else if (report.Uri.Transport != Stun.Transport.StunTransportProtocol.Udp)
        {
            output.WriteLine("NAT behaviour:   not tested (RFC 5780 tests run over UDP only)");
        }
        else
        {
            output.WriteLine("NAT behaviour:   not tested (the server does not support RFC 5780: no OTHER-ADDRESS)");
        }
    }

    public static void WriteJson(TextWriter output, StunProbeReport report)
    {
        var binding = report.Binding;
        using var buffer = new MemoryStream();
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("server", report.Server.ToString());
        json.WriteString("uri", report.Uri.ToString());
        json.WriteString("transport", report.Uri.Transport.ToString().ToLowerInvariant());
        json.WriteString("mappedAddress", binding.MappedAddress.ToString());
        json.WriteString("localAddress", report.LocalEndPoint?.ToString());
        json.WriteString("software", binding.Software);
        json.WriteNumber("rttMs", Math.Round(binding.RoundTripTime.TotalMilliseconds, 3));
        json.WriteString("otherAddress", binding.OtherAddress?.ToString());
        json.WriteString("responseOrigin", binding.ResponseOrigin?.ToString());
        if (report.Nat is { } nat)
        {
            json.WriteStartObject("nat");
            json.WriteBoolean("behindNat", nat.BehindNat);
            json.WriteString("mapping", Name(nat.Mapping));
            json.WriteString("filtering", Name(nat.Filtering));
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("nat");
        }
        json.WriteString("natError", report.NatError);
        json.WriteEndObject();
        json.Flush();
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    internal static string Describe(NatMappingBehavior mapping) => mapping switch
    {
        NatMappingBehavior.NoNat => "none (not behind a NAT: the mapped address is the local address)",
        NatMappingBehavior.EndpointIndependent => "endpoint-independent (the same public address for every destination)",
        NatMappingBehavior.AddressDependent => "address-dependent (a new public address for each destination IP)",
        _ => "address-and-port-dependent (a new public address for each destination IP and port: symmetric NAT)",
    };

    internal static string Describe(NatFilteringBehavior filtering) => filtering switch
    {
        NatFilteringBehavior.EndpointIndependent => "endpoint-independent (anyone may send to the mapped address)",
        NatFilteringBehavior.AddressDependent => "address-dependent (only IPs you have sent to may answer)",
        _ => "address-and-port-dependent (only IP:port pairs you have sent to may answer)",
    };

    internal static string Name(NatMappingBehavior mapping) => mapping switch
    {
        NatMappingBehavior.NoNat => "no-nat",
        NatMappingBehavior.EndpointIndependent => "endpoint-independent",
        NatMappingBehavior.AddressDependent => "address-dependent",
        _ => "address-and-port-dependent",
    };

    internal static string Name(NatFilteringBehavior filtering) => filtering switch
    {
        NatFilteringBehavior.EndpointIndependent => "endpoint-independent",
        NatFilteringBehavior.AddressDependent => "address-dependent",
        _ => "address-and-port-dependent",
    };
}
