using TracedLlm;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

var builder = WebApplication.CreateBuilder(args);
var providerKey = builder.Configuration["Provider:ApiKey"];
builder.Services.AddReverseProxy()
    .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
    .AddTransforms(transforms =>
    {
        // Clients authenticate to the gateway; the provider gets the gateway's own key.
        transforms.AddRequestHeaderRemove("Authorization");
        transforms.AddRequestHeader("Authorization", "Bearer " + providerKey, append: false);
    });
builder.Services.AddTracedLlm();
builder.Services.AddTracedLlmRelay();

var app = builder.Build();

app.MapTracedLlmRoutes();
app.MapReverseProxy(proxy =>
{
    // YARP answers a forwarding error with 502 or 504 and no body; OpenAI's SDKs read {"error": {...}}.
    proxy.Use(async (context, next) =>
    {
        await next();
        if (context.GetForwarderErrorFeature() is { } failure && !context.Response.HasStarted)
        {
            var message = failure.Error == ForwarderError.RequestTimedOut
                ? "The provider did not answer in time."
                : "The provider could not be reached.";
            await context.Response.WriteAsJsonAsync(new { error = new { message, type = "upstream_error" } });
        }
    });
});

app.Run();

internal static class Routes
{
    // One try, as YARP made: the relay relays the provider's answer, its errors too.
    private static readonly LlmRetryPolicy OneTry = new() { MaxRetries = 0 };

    [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlot = MetadataSlots.None)]
    public static async Task<IResult> Chat(LlmCall call, LlmRelay relay)
    {
        try
        {
            return await relay.ForwardToRouteAsync(call, "openai", OneTry);
        }
        catch (UpstreamException exception) when (call.HttpContext.GetForwarderErrorFeature() is { } failure)
        {
            // The app's own answer to a forwarding error, as its proxy pipeline writes it for YARP's routes.
            call.RecordHandledFailure(exception);
            var message = failure.Error == ForwarderError.RequestTimedOut
                ? "The provider did not answer in time."
                : "The provider could not be reached.";
            var error = new { message, type = "upstream_error" };
            return Results.Json(new { error }, statusCode: exception.StatusCode);
        }
    }
}
