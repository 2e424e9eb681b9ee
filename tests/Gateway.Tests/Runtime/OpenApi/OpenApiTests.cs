using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.FaultRoutes;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Microsoft.AspNetCore.OpenApi documents the traced routes (<c>AddOpenApi()</c> + <c>MapOpenApi()</c>
/// in the sample) from the endpoint metadata the route builder adds: operation id, summary, the
/// metadata slot, the request body, the 200 response and the errors in each route's wire format.
/// </summary>
public sealed class OpenApiTests : IClassFixture<OpenApiTests.Document>
{
    private readonly JsonObject _document;

    public OpenApiTests(Document document) => _document = document.Json;

    [Fact]
    public void EveryTracedRouteIsDocumentedWithItsRequestAndResponseBodies()
    {
        Assert.Equal(
            new[] { "/health", "/v1/chat/completions", "/v1/messages" },
            _document["paths"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        var chat = Operation("/v1/chat/completions");
        Assert.Equal("ChatCompletions", (string?)chat["operationId"]);
        Assert.Equal(new[] { "Routes" }, chat["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("chat (OpenAI wire format), traced by TracedLlm", (string?)chat["summary"]);
        Assert.Contains(
            "the body's `metadata` property (this route's metadata slot)",
            (string?)chat["description"],
            StringComparison.Ordinal);
        Assert.Contains(
            "Send \"stream\": true for server-sent events (text/event-stream), one `ChatCompletionChunk` each.",
            (string?)chat["description"],
            StringComparison.Ordinal);
        Assert.True((bool?)chat["requestBody"]!["required"]);
        var request = Schema(chat["requestBody"]!["content"]!["application/json"]!["schema"]!);
        Assert.Equal(new[] { "max_tokens", "messages", "model", "stream", "temperature", "user" }, Properties(request));
        Assert.Equal(
            new[] { "choices", "created", "id", "model", "object", "usage" },
            Properties(Schema(chat["responses"]!["200"]!["content"]!["application/json"]!["schema"]!)));

        var messages = Operation("/v1/messages");
        Assert.Equal("Messages", (string?)messages["operationId"]);
        Assert.Contains(
            "the body's `litellm_metadata` property (this route's metadata slot)",
            (string?)messages["description"],
            StringComparison.Ordinal);
        Assert.Contains(
            "metadata",
            Properties(Schema(messages["requestBody"]!["content"]!["application/json"]!["schema"]!))
        ); // Anthropic's own, forwarded untouched
        Assert.DoesNotContain(
            "litellm_metadata",
            Properties(Schema(messages["requestBody"]!["content"]!["application/json"]!["schema"]!)));
        Assert.Equal(
            "#/components/schemas/MessagesResponse",
            (string?)messages["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "OpenAIErrorResponse")]
    [InlineData("/v1/messages", "AnthropicErrorResponse")]
    public void ErrorResponsesAreDocumentedInTheRoutesWireFormat(string path, string errorSchema)
    {
        var responses = Operation(path)["responses"]!.AsObject();

        // The sample registers an authenticator, so 401 and 403 are among them.
        Assert.Equal(
            new[] { "200", "400", "401", "403", "413", "415", "429", "500", "502", "504" },
            responses.Select(r => r.Key).Order(StringComparer.Ordinal));
        foreach (var (status, response) in responses.Where(r => r.Key != "200"))
        {
            Assert.Equal(
                $"#/components/schemas/{errorSchema}",
                (string?)response!["content"]!["application/json"]!["schema"]!["$ref"]);
        }
    }

    /// <summary>
    /// A route that keeps ASP.NET Core's answers documents the pipeline's errors as problem details, as it writes
    /// them, and says that ASP.NET Core answers a body it cannot bind and the app's own exceptions.
    /// </summary>
    [Fact]
    public void ARouteThatKeepsTheHostsAnswersDocumentsProblemDetails()
    {
        var route = new TracedRouteInfo("POST", "/v1/chat", "metadata", WireFormat.OpenAI, "chat", "Routes.Chat")
        {
            ErrorResponses = LlmErrorResponses.Host,
        };
        var metadata = TracedLlm.OpenApi.TracedRouteMetadata.For(route, authenticated: false, LlmErrorResponses.Host)
            .ToList();

        var errors = metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
            .Where(m => m.StatusCode >= 400).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, m => Assert.Equal(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), m.Type));
        Assert.All(errors, m => Assert.Equal(new[] { "application/problem+json" }, m.ContentTypes));
        var description = Assert.Single(metadata.OfType<EndpointDescriptionAttribute>()).Description;
        const string Host = "the application's own exceptions are answered by ASP.NET Core.";
        Assert.EndsWith(Host, description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task TheDocumentedErrorSchemaIsTheShapeTheGatewayAnswersWith(string path)
    {
        using var host = new GatewayHost();
        using var client = host.CreateClient();
        using var unauthorized = await client.SendAsync(GatewayHost.Post(path,
            """{"model":"m","max_tokens":8,"messages":[]}""", apiKey: "sk-wrong"));
        using var invalid = await client.SendAsync(GatewayHost.Post(path, "[1]"));
        using var notJson = GatewayHost.Post(path, """{"model":"m","max_tokens":8,"messages":[]}""");
        notJson.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        using var unsupported = await client.SendAsync(notJson);

        foreach (var (response, status) in new[]
            {
                (unauthorized, HttpStatusCode.Unauthorized),
                (invalid, HttpStatusCode.BadRequest),
                (unsupported, HttpStatusCode.UnsupportedMediaType)
            })
        {
            Assert.Equal(status, response.StatusCode);
            var documented = Operation(path)["responses"]![
                ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture)
            ]!["content"]!["application/json"]!["schema"]!;
            AssertMatches(documented, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        }
    }

    [Fact]
    public async Task RoutesMappedAgainUnderAGroupGetNamesOfTheirOwnAndAnswer()
    {
        // Endpoint names (OpenAPI operation ids) must be unique in an application: the same traced
        // routes mapped at the root and under two groups must not fail routing with a duplicate name.
        // (Chat and ChatStream share one endpoint: the body's "stream" picks the handler.)
        var (app, address) = await LoopbackApp.StartAsync(
            services => services.AddTracedLlm().AddFaultRouteServices(),
            app =>
            {
                app.MapFaultMatrixRoutes();
                app.MapGroup("/v2").MapFaultMatrixRoutes();
                app.MapGroup("/tenant/{tenant}").MapFaultMatrixRoutes();
            });
        try
        {
            var names = ((IEndpointRouteBuilder)app)
                .DataSources.SelectMany(source => source.Endpoints)
                .Select(endpoint =>
                    (endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                        ((RouteEndpoint)endpoint).RoutePattern.RawText))
                .Where(name => name.EndpointName?.StartsWith("Chat", StringComparison.Ordinal) == true)
                .Order()
                .ToList();
            Assert.Equal(
                new (string?, string?)[]
                {
                    ("Chat", "/v1/chat/completions"),
                    ("Chat_tenant_tenant_v1_chat_completions", "/tenant/{tenant}/v1/chat/completions"),
                    ("Chat_v2_v1_chat_completions", "/v2/v1/chat/completions"),
                    ("ChatRelay", "/v1/chat/completions/relay"),
                    ("ChatRelay_tenant_tenant_v1_chat_completions_relay", "/tenant/{tenant}/v1/chat/completions/relay"),
                    ("ChatRelay_v2_v1_chat_completions_relay", "/v2/v1/chat/completions/relay"),
                },
                names);

            // Routing builds its matcher (where duplicate names fail) on the first request.
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.PostAsync(
                "/v2/v1/chat/completions",
                new StringContent("[1]", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>
    /// Every property the body has is documented, every required one is present, and nested objects match their
    /// schemas.
    /// </summary>
    private void AssertMatches(JsonNode schemaOrRef, JsonNode body)
    {
        var schema = Schema(schemaOrRef);
        var actual = body.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Properties(schema), actual);
        Assert.All(
            schema["required"]!.AsArray().Select(r => (string)r!),
            required => Assert.Contains(required, actual));
        foreach (var (name, property) in schema["properties"]!.AsObject())
        {
            if (property!["$ref"] is not null)
            {
                AssertMatches(property, body[name]!);
            }
        }
    }

    private JsonObject Operation(string path) => _document["paths"]![path]!["post"]!.AsObject();

    private JsonObject Schema(JsonNode schemaOrRef) =>
        (string?)schemaOrRef["$ref"] is { } reference
            ? _document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!.AsObject()
            : schemaOrRef.AsObject();

    private static List<string> Properties(JsonObject schema) =>
        schema["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The sample's OpenAPI document, read once from /openapi/v1.json.</summary>
    public sealed class Document : IAsyncLifetime
    {
        private readonly GatewayHost _host = new();

        public JsonObject Json { get; private set; } = new();

        public async Task InitializeAsync()
        {
            using var client = _host.CreateClient();
            using var response = await client.GetAsync("/openapi/v1.json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }

        public Task DisposeAsync()
        {
            _host.Dispose();
            return Task.CompletedTask;
        }
    }
}
