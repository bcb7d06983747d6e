using LiveMicro.Bench.EchoBackend;
using LiveMicro.Discovery;

// A stand-in for any LiveMicro service behind the gateway: the benchmark's backend and the gateway tests' real
// processes. It registers in etcd like a service when Discovery:Etcd:Endpoint is set.
var builder = WebApplication.CreateSlimBuilder(args);
var serviceName = builder.Configuration["Service"] is { Length: > 0 } name ? name : "echo";
builder.AddServiceDiscoveryRegistration(serviceName);
builder.Services.AddSingleton(new EchoState(serviceName, builder.Configuration["Discovery:InstanceId"] ?? Environment.ProcessId.ToString()));
builder.Services.AddSingleton<ChatRooms>();

var app = builder.Build();

app.UseWebSockets();
app.MapGet("/bench", () => Results.Text("Hello, world!"));
app.MapGet("/health/{check}", () => Results.Text("Healthy"));
app.MapGet("/_hits", (EchoState state) => Results.Json(new { hits = state.Hits }));
app.Map("/ws/{**room}", ChatRooms.AcceptAsync);
app.Map("/{**path}", EchoApi.EchoAsync);

app.Run();
