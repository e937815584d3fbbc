using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;
using PeerConnect.Stun.Server;

// Runs one role of the NAT lab inside a network namespace (ip netns exec NS dotnet PeerConnect.NatLab.Helper.dll ...):
//   stun ADDRESS PORT                          a STUN server (our library's) until stdin closes
//   agent controlling|controlled STUN_ENDPOINT an ICE agent; signalling is JSON lines on stdin/stdout
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
        await using var server = new StunServer(new StunServerOptions
        {
            ListenAddresses = [IPAddress.Parse(args[1])],
            Port = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
            EnableTcp = false,
            ReceiveLoops = 1,
        });
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
        Console.Error.WriteLine("usage: stun ADDRESS PORT | agent controlling|controlled STUN_ENDPOINT");
        return 2;
}
