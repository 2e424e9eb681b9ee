using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <see cref="UpstreamHttp.ReadBodyAsync"/> on bodies with and without a declared length: the bytes
/// come back exactly, whatever the pieces they arrive in and however often the pooled buffer
/// grows; a body over the limit or longer than declared is too large, one shorter than declared is cut off.
/// </summary>
public sealed class UpstreamBodyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16 * 1024)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(100_000)]
    public async Task ABodyOfNoDeclaredLengthComesBackExactly(int length)
    {
        var body = Bytes(length);
        using var response = Response(body, declared: null);

        var read = await UpstreamHttp.ReadBodyAsync(response, maxBytes: 1024 * 1024, CancellationToken.None);

        Assert.Equal(body, read.ToArray());
    }

    [Fact]
    public async Task ABodyOfNoDeclaredLengthAtTheLimitIsReadAndOneByteMoreIsTooLarge()
    {
        using (var atLimit = Response(Bytes(40_000), declared: null))
        {
            Assert.Equal(
                40_000,
                (await UpstreamHttp.ReadBodyAsync(atLimit, maxBytes: 40_000, CancellationToken.None)).Length);
        }

        using var over = Response(Bytes(40_001), declared: null);
        var failure = await Assert.ThrowsAsync<UpstreamResponseTooLargeException>(() =>
            UpstreamHttp.ReadBodyAsync(over, maxBytes: 40_000, CancellationToken.None));
        Assert.Contains("40000 bytes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeclaredBodyComesBackExactly()
    {
        var body = Bytes(30_000);
        using var response = Response(body, declared: body.Length);

        Assert.Equal(
            body,
            (await UpstreamHttp.ReadBodyAsync(response, maxBytes: 1024 * 1024, CancellationToken.None)).ToArray());
    }

    [Fact]
    public async Task ABodyLongerThanDeclaredIsTooLargeAndShorterIsCutOff()
    {
        using (var longer = Response(Bytes(5_001), declared: 5_000))
        {
            await Assert.ThrowsAsync<UpstreamResponseTooLargeException>(() =>
                UpstreamHttp.ReadBodyAsync(longer, maxBytes: 1024 * 1024, CancellationToken.None));
        }

        using var shorter = Response(Bytes(4_999), declared: 5_000);
        var cut = await Assert.ThrowsAsync<UpstreamBadResponseException>(() =>
            UpstreamHttp.ReadBodyAsync(shorter, maxBytes: 1024 * 1024, CancellationToken.None));
        Assert.True(cut.Truncated);
    }

    [Fact]
    public async Task ADeclaredLengthOverTheLimitIsTooLargeBeforeAnythingIsRead()
    {
        var stream = new TrickleStream(Bytes(10));
        using var response = new HttpResponseMessage { Content = new StreamContent(stream) };
        response.Content.Headers.ContentLength = 2_000_000;

        await Assert.ThrowsAsync<UpstreamResponseTooLargeException>(() =>
            UpstreamHttp.ReadBodyAsync(response, maxBytes: 1024 * 1024, CancellationToken.None));
        Assert.Equal(0, stream.Position);
    }

    private static byte[] Bytes(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 % 251)).ToArray();

    private static HttpResponseMessage Response(byte[] body, long? declared)
    {
        var response = new HttpResponseMessage { Content = new StreamContent(new TrickleStream(body)) };
        response.Content.Headers.ContentLength = declared;
        return response;
    }

    /// <summary>
    /// A body that arrives in pieces of at most 4,000 bytes, as from a socket, of no length known in advance.
    /// </summary>
    private sealed class TrickleStream(byte[] body) : MemoryStream(body, writable: false)
    {
        // Not seekable: StreamContent would otherwise declare the length itself.
        public override bool CanSeek => false;

        public override int Read(byte[] buffer, int offset, int count) =>
            base.Read(buffer, offset, Math.Min(count, 4_000));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 4_000)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 4_000)], cancellationToken);

        public override Task<int> ReadAsync(
            byte[] buffer,
            int offset,
            int count,
            CancellationToken cancellationToken
        ) => base.ReadAsync(buffer, offset, Math.Min(count, 4_000), cancellationToken);
    }
}
