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

var app = builder.Build();

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
