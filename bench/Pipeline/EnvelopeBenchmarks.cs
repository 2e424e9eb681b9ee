using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Pipeline;

namespace TracedLlm.Benchmarks;

/// <summary>
/// The route's body reader alone (`-- envelope`): the emitted <c>ReadEnvelope</c> loop over bodies
/// of four shapes, beside a bare <see cref="Utf8JsonReader"/> pass over the same bytes (the least
/// any reader does). Run on two commits, it gives what the one-reading check costs a request.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private ServiceProvider _services = null!;
    private TracedLlmGateway _gateway = null!;
    private ReadOnlyMemory<byte> _body;

    /// <summary>
    /// chat: the pipeline benchmark's request (157 B); conversation: 40 messages, a tool with a JSON
    /// schema, metadata (about 12 KB); wide: an object of 2,000 keys (logit_bias-like, about 30 KB);
    /// long: one message of 1 MiB.
    /// </summary>
    [Params("chat", "conversation", "wide", "long")]
    public string Body { get; set; } = "chat";

    [GlobalSetup]
    public void Setup()
    {
        _services = BenchServices.Create(_ => { }).BuildServiceProvider();
        _gateway = _services.GetRequiredService<TracedLlmGateway>();
        _body = Encoding.UTF8.GetBytes(Body switch
        {
            "chat" => Encoding.UTF8.GetString(PipelineBenchmarks.Body),
            "conversation" => "{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,\"messages\":["
                + string.Join(",", Enumerable.Range(0, 40).Select(i => $"{{\"role\":\"{(i % 2 == 0 ? "user" : "assistant")}\",\"content\":\"{new string('x', 200)} {i}\"}}"))
                + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},\"units\":{\"type\":\"string\",\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\"]}}}]"
                + ",\"metadata\":{\"trace_name\":\"bench\",\"session_id\":\"s-1\",\"tags\":[\"a\",\"b\"],\"team\":\"t\"}}",
            "wide" => "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{"
                + string.Join(",", Enumerable.Range(0, 2000).Select(i => $"\"{100000 + i}\":-{i % 100}")) + "}}",
            _ => "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 1024 * 1024) + "\"}],\"metadata\":{\"trace_name\":\"bench\"}}",
        });
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public int Tokens()
    {
        var reader = new Utf8JsonReader(_body.Span, EnvelopeReader.ReaderOptions);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    [Benchmark]
    public RequestEnvelope ReadEnvelope() => EmittedReader.Read(_body, _gateway);
}

/// <summary>The body read as the generated chat route's emitted reader does.</summary>
internal static class EmittedReader
{
    public static RequestEnvelope Read(ReadOnlyMemory<byte> body, TracedLlmGateway gateway)
    {
        var envelope = new EnvelopeReader(body, "metadata", gateway.Options, RequestShape.Of<ChatRequest>(gateway));
        var reader = new Utf8JsonReader(body.Span, EnvelopeReader.ReaderOptions);
        envelope.ReadStart(ref reader);
        while (envelope.ReadPropertyName(ref reader))
        {
            if (reader.ValueTextEquals("metadata"u8))
            {
                envelope.ReadSlot(ref reader);
            }
            else
            {
                envelope.ReadOtherProperty(ref reader);
            }
        }

        return envelope.Build();
    }
}
