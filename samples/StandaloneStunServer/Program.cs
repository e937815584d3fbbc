using System.Net;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Server;

// The STUN server from the library alone, without ASP.NET Core: listen on loopback, ask it for our
// own mapped address with the library's client, then run until Ctrl+C.
await using var server = new StunServer(new StunServerOptions
{
    ListenAddresses = [IPAddress.Loopback],
    Port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3478,
    Software = "StandaloneStunServer sample",
});
await server.StartAsync();
IPEndPoint endPoint = server.UdpEndPoints[0];
Console.WriteLine($"STUN server on udp {endPoint} and tcp {server.TcpEndPoints[0]}");

await using (StunClient client = StunClient.CreateUdp(endPoint.AddressFamily))
{
    StunBindingResult result = await client.BindingAsync(endPoint);
    Console.WriteLine($"Our mapped address: {result.MappedAddress} (round trip {result.RoundTripTime.TotalMilliseconds:F2} ms)");
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
Console.WriteLine("Press Ctrl+C to stop.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
