using LiveMicro.ServiceDefaults;
using LiveMicro.User.Apis;
using LiveMicro.User.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapUsersApi();
app.MapFollowsApi();

app.Run();
