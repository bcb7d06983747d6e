using LiveMicro.Discovery;
using LiveMicro.Interact.Apis;
using LiveMicro.Interact.Extensions;
using LiveMicro.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDiscoveryRegistration("interact");
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatApi();
app.MapGiftsApi();
app.MapWalletApi();
app.MapLotteriesApi();
app.MapPushApi();

app.Run();
