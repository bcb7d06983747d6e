using LiveMicro.Auth.Apis;
using LiveMicro.Auth.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAuthApi();
app.MapJwksApi();

app.Run();
