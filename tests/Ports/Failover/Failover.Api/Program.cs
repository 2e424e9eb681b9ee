using System.Text.Json;
using System.Text.Json.Nodes;
using Failover.Api.Providers;

var builder = WebApplication.CreateBuilder(args);
builder.Services.Configure<List<ProviderOptions>>(builder.Configuration.GetSection(ProviderOptions.Section));
builder.Services.AddHttpClient(FailoverClient.ClientName);
builder.Services.AddSingleton<FailoverClient>();

var app = builder.Build();

app.MapPost("/v1/chat/completions", async (HttpRequest request, FailoverClient failover) =>
{
    JsonObject? body;
    try
    {
        body = await JsonSerializer.DeserializeAsync<JsonObject>(request.Body);
    }
    catch (JsonException)
    {
        return Errors.BadRequest("The request body is not a JSON object.");
    }

    if (body?["messages"] is not JsonArray { Count: > 0 })
    {
        return Errors.BadRequest("'messages' must be a non-empty array.");
    }

    return await failover.SendAsync(body, request.HttpContext.RequestAborted);
});

app.Run();
