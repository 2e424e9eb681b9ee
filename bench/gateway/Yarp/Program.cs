// What a .NET team would otherwise deploy in front of an LLM provider: YARP's direct forwarding
// (IHttpForwarder through MapForwarder), every /v1/* request forwarded to the mock as it came, with
// YARP's own request and response transforms and its pooled, non-decompressing SocketsHttpHandler
// (HttpMessageInvoker, no proxy, no cookies). No auth, no parsing, no tracing, no logging.
// bench/gateway/run measures it beside the bare pass-through, the sample gateway and Portkey.
using Yarp.ReverseProxy.Forwarder;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
var app = builder.Build();
var upstream = app.Configuration["Upstream"] ?? throw new InvalidOperationException("Set --Upstream=http://host:port");

// No activity header propagation: the bare pass-through and the sample's upstream client send none either.
app.MapForwarder("/v1/{**path}", upstream, ForwarderRequestConfig.Empty, HttpTransformer.Default, new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = System.Net.DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    ConnectTimeout = TimeSpan.FromSeconds(15),
}));
app.Run();
