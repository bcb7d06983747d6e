using LiveMicro.Discovery;
using LiveMicro.Rtmp.Apis;
using LiveMicro.Rtmp.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("rtmp");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapLiveApi();
app.MapStreamsApi();

app.Run();

