using System;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using TracedLlm.Pipeline;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The gateway keeps the last type info it resolved per type (it is asked twice per request); two
/// gateways with their own JSON options in one process must still each get their own.
/// </summary>
public sealed class TypeInfoTests
{
    [Fact]
    public void GatewaysWithTheirOwnJsonOptionsEachGetTheirOwnTypeInfoAskedInTurn()
    {
        var snake = Gateway(JsonNamingPolicy.SnakeCaseLower);
        var camel = Gateway(JsonNamingPolicy.CamelCase);
        var value = new Sample { MaxTokens = 7 };

        for (var turn = 0; turn < 3; turn++)
        {
            var snakeInfo = snake.GetTypeInfo<Sample>();
            var camelInfo = camel.GetTypeInfo<Sample>();

            Assert.Equal("""{"max_tokens":7}""", JsonSerializer.Serialize(value, snakeInfo));
            Assert.Equal("""{"maxTokens":7}""", JsonSerializer.Serialize(value, camelInfo));
        }
    }

    private static TracedLlmGateway Gateway(JsonNamingPolicy naming)
    {
        var json = new JsonOptions();
        json.SerializerOptions.PropertyNamingPolicy = naming;
        json.SerializerOptions.TypeInfoResolver = new DefaultJsonTypeInfoResolver();
        return new TracedLlmGateway(
            new TracedLlmOptions(),
            Array.Empty<ILlmGuardrail>(),
            Array.Empty<ILlmFailureLogger>(),
            Options.Create(json));
    }

    public sealed class Sample
    {
        public int MaxTokens { get; set; }
    }
}
