// The floor for any .NET gateway on this machine: Kestrel in, one HttpClient call out, the reply
// copied back. No parsing, no auth, no guardrails, no tracing, no logging. bench/gateway/run
// measures it beside the sample gateway so the cost of the hop itself is on the table.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var upstream = new HttpClient(new SocketsHttpHandler())
{
    BaseAddress = new Uri(app.Configuration["Upstream"] ?? throw new InvalidOperationException("Set --Upstream=http://host:port")),
};

app.MapPost("/v1/{**path}", async (HttpContext context, string path) =>
{
    using var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + path) { Content = new ByteArrayContent(body.ToArray()) };
    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    using var response = await upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
});

app.Run();
