using App;
using TracedLlm;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddTracedLlm();
builder.Services.AddSingleton<ILlmAuthenticator, ApiKeyAuthenticator>();
builder.Services.AddSingleton<ILlmGuardrail, BannedWordGuardrail>();
builder.Services.AddSingleton<ILlmFailureLogger, FailureFilter>();

var app = builder.Build();
app.MapTracedLlmRoutes();
app.Run();
