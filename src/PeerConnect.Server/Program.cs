using PeerConnect.Server.Hosting;
using PeerConnect.Server.Signaling;
using PeerConnect.Server.Stun;

var builder = WebApplication.CreateBuilder(args);
InlineSocketCompletions.Apply(builder.Configuration);

builder.Services.AddPeerConnectObservability();
builder.Services.AddPeerConnectMemoryTrim(builder.Configuration);
builder.Services.AddPeerConnectStun(builder.Configuration);
builder.Services.AddPeerConnectSignaling(builder.Configuration);
builder.Services.AddPeerConnectClientPage(builder.Configuration);

var app = builder.Build();

app.MapPeerConnectObservability();
app.MapPeerConnectClientPage();
app.MapPeerConnectSignaling();

app.Run();

/// <summary>Entry point; public so integration tests can host the server in-process.</summary>
public partial class Program;
