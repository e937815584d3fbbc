using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Servers;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

// Runs one role of the NAT lab inside a network namespace (ip netns exec NS dotnet PeerConnect.NatLab.Helper.dll ...):
//   stun ADDRESS PORT [USER PASSWORD]          a STUN server (our library's) until stdin closes; with a user, also our
//                                              TURN server on the same listener (UDP and TCP), relaying from ADDRESS
//   agent controlling|controlled STUN_ENDPOINT [TURN_URI USER PASSWORD]
//                                              an ICE agent; signalling is JSON lines on stdin/stdout
var output = Console.Out;
var gate = new object();
void Emit(object message)
{
    lock (gate)
    {
        output.WriteLine(JsonSerializer.Serialize(message));
        output.Flush();
    }
}

switch (args[0])
{
    case "stun":
    {
        var address = IPAddress.Parse(args[1]);
        await using var turn = args.Length >= 5
            ? new TurnServer(new TurnServerOptions
            {
                Users = new Dictionary<string, string> { [args[3]] = args[4] },
                RelayAddress = address,
                // The lab's public side is 203.0.113.0/24, a documentation range the server refuses as a peer by
                // default (RFC 8656 §21.3); relayed addresses (the server's own) are on it too, for relay-to-relay pairs.
                AllowedPeerRanges = ["203.0.113.0/24"],
            })
            : null;
        await using var server = new StunServer(
            new StunServerOptions
            {
                ListenAddresses = [address],
                Port = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
                // TURN over TCP for the side whose UDP is blocked.
                EnableTcp = turn is not null,
                ReceiveLoops = 1,
            },
            packetHandler: turn is null ? null : new TurnPacketHandler(turn));
        await server.StartAsync();
        Emit(new { type = "ready" });
        await Console.In.ReadToEndAsync();
        return 0;
    }

    case "agent":
    {
        bool controlling = args[1] == "controlling";
        var options = new IceAgentOptions
        {
            Controlling = controlling,
            StunServers = [IPEndPoint.Parse(args[2])],
            // The lab's pairs that cannot work should fail in seconds, not RFC 8489's 39.5 s.
            CheckRetransmissionTimeout = TimeSpan.FromMilliseconds(200),
            MaxCheckTransmissions = 5,
        };
        if (args.Length >= 6)
        {
            options = await IceServer.ConfigureAsync(options, [new IceServer([args[3]], args[4], args[5])]);
        }

        await using var agent = new IceAgent(options);
        var selected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.CandidateGathered += c => Emit(c is null ? new { type = "end" } : new { type = "candidate", line = c.ToString() });
        agent.ConnectionStateChanged += s => Emit(new { type = "state", state = s.ToString() });
        agent.SelectedPairChanged += p =>
        {
            Emit(new
            {
                type = "selected",
                localType = IceCandidate.TypeName(p.Local.Type),
                remoteType = IceCandidate.TypeName(p.Remote.Type),
                local = $"{p.Local.Address}:{p.Local.Port}",
                remote = $"{p.Remote.Address}:{p.Remote.Port}",
            });
            selected.TrySetResult();
        };
        Emit(new { type = "params", ufrag = agent.LocalParameters.Ufrag, pwd = agent.LocalParameters.Password });

        using var stop = new CancellationTokenSource();
        var signalling = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                var message = JsonNode.Parse(line)!.AsObject();
                switch ((string?)message["type"])
                {
                    case "params":
                        await agent.SetRemoteParametersAsync(new IceParameters((string)message["ufrag"]!, (string)message["pwd"]!));
                        await agent.GatherAsync();
                        break;
                    case "candidate":
                        await agent.AddRemoteCandidateAsync(IceCandidate.Parse((string)message["line"]!));
                        break;
                    case "end":
                        await agent.AddRemoteCandidateAsync(null);
                        break;
                }
            }

            await stop.CancelAsync();
        });

        try
        {
            await selected.Task.WaitAsync(stop.Token);
            var receiving = Task.Run(async () =>
            {
                var buffer = new byte[1500];
                int n = await agent.Pipe.ReceiveAsync(buffer, stop.Token);
                Emit(new { type = "received", data = System.Text.Encoding.UTF8.GetString(buffer, 1, n - 1) });
            });
            byte[] hello = [23, .. System.Text.Encoding.UTF8.GetBytes($"hello from the {args[1]} side")];
            // Keep sending until told to stop: the peer may select its pair a moment later than this side.
            while (!stop.IsCancellationRequested)
            {
                if (agent.Pipe.CanSend)
                {
                    await agent.Pipe.SendAsync(hello, stop.Token);
                }

                await Task.Delay(100, stop.Token);
            }

            await receiving;
        }
        catch (OperationCanceledException)
        {
        }

        await signalling;
        return 0;
    }

    default:
        Console.Error.WriteLine("usage: stun ADDRESS PORT [USER PASSWORD] | agent controlling|controlled STUN_ENDPOINT [TURN_URI USER PASSWORD]");
        return 2;
}
