using LiveMicro.Discovery;
using LiveMicro.Rank.Apis;
using LiveMicro.Rank.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("rank");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseWebSockets();
app.MapRanksApi();
app.MapRankSocketsApi();

app.Run();
