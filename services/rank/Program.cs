using LiveMicro.Discovery;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("rank");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
