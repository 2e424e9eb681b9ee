using System.Text.Json;
using System.Text.Json.Nodes;
using Failover.Api.Providers;
using TracedLlm;

var builder = WebApplication.CreateBuilder(args);
builder.Services.Configure<List<ProviderOptions>>(builder.Configuration.GetSection(ProviderOptions.Section));
builder.Services.AddHttpClient(FailoverClient.ClientName);
builder.Services.AddSingleton<FailoverClient>();
builder.Services.AddTracedLlm();

var app = builder.Build();

app.MapTracedLlmRoutes();

app.Run();

internal static class Routes
{
    [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
    public static async Task<IResult> Chat(LlmCall call, FailoverClient failover)
    {
        JsonObject? body;
        try
        {
            body = JsonSerializer.Deserialize<JsonObject>(call.UpstreamBody.Span);
        }
        catch (JsonException exception)
        {
            call.RecordHandledFailure(exception);
            return Errors.BadRequest("The request body is not a JSON object.");
        }

        if (body?["messages"] is not JsonArray { Count: > 0 })
        {
            return Errors.BadRequest("'messages' must be a non-empty array.");
        }

        return await failover.SendAsync(body, call);
    }
}
