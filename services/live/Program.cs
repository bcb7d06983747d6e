using LiveMicro.Discovery;
using LiveMicro.Live.Apis;
using LiveMicro.Live.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("live");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseWebSockets();
app.MapRoomsApi();
app.MapStreamAuthorizationApi();
app.MapRoomSocketApi();
app.MapWhipApi();

app.Run();
