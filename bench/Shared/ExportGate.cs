using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

/// <summary>
/// What the benches' OTLP receivers (bench/chaos, bench/hostile) share: each export's body is read,
/// then held unanswered while the receiver hangs, until it is released; an export the exporter gave
/// up on meanwhile is not taken. And a free loopback port for a receiver or a gateway.
/// </summary>
internal sealed class ExportGate
{
    private TaskCompletionSource _hang = Open();

    /// <summary>From now on, every export is held unanswered until <see cref="Release"/>.</summary>
    public void Hang() => _hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every held export, and the ones after, through.</summary>
    public void Release() => _hang.TrySetResult();

    /// <summary>The export's body once the gate lets it through, or null when the exporter gave up while it was held.</summary>
    public async Task<MemoryStream?> ReceiveAsync(HttpContext context)
    {
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        try
        {
            await _hang.Task.WaitAsync(context.RequestAborted);
            return body;
        }
        catch (OperationCanceledException)
        {
            body.Dispose();
            return null;
        }
    }

    /// <summary>A loopback port no one listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
