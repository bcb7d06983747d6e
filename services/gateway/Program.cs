using LiveMicro.Gateway.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReverseProxy();

var app = builder.Build();

app.UseReverseProxy();
app.MapDefaultEndpoints();

app.Run();
