using LiveMicro.Auth.Apis;
using LiveMicro.Auth.Extensions;
using LiveMicro.Discovery;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("auth");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAuthApi();
app.MapJwksApi();

app.Run();
