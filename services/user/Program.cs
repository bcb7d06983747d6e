using LiveMicro.Discovery;
using LiveMicro.ServiceDefaults;
using LiveMicro.User.Apis;
using LiveMicro.User.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("user");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapUsersApi();
app.MapFollowsApi();

app.Run();
