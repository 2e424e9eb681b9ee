using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

/// <summary>
/// The sample gateway as a child process, for the benches that drive it from outside (bench/chaos,
/// bench/hostile, bench/upstream): its settings given as environment variables, a port of its own
/// choosing on loopback (read from its "Now listening on" line), ready once /health answers 200;
/// its memory read from /proc; killed (SIGKILL) with its tree when disposed.
/// </summary>
internal sealed class GatewayProcess : IDisposable, IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The gateway's address, <c>http://127.0.0.1:port</c>.</summary>
    public string Url { get; }

    /// <summary>
    /// Starts <paramref name="dll"/> with <paramref name="settings"/> (console tracing off unless they say
    /// otherwise); each line it writes to standard error goes to <paramref name="standardError"/>.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(string dll, IReadOnlyDictionary<string, string> settings, Action<string>? standardError = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", "http://127.0.0.1:0" },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Tracing__Console"] = "false";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        // The host's "Now listening on" line names the port it was given.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && Regex.Match(text, @"Now listening on: (http://\S+)") is { Success: true } match)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                standardError?.Invoke(text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string url;
        try
        {
            url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Stop(process);
            throw new InvalidOperationException("The gateway did not say where it listens.");
        }

        var gateway = new GatewayProcess(process, url);
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync(url + "/health")).StatusCode == HttpStatusCode.OK)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        gateway.Dispose();
        throw new InvalidOperationException("The gateway did not start.");
    }

    /// <summary>A memory line of /proc/PID/status in bytes: VmRSS (resident now) or VmHWM (the peak).</summary>
    public long Resident(string field) =>
        long.Parse(File.ReadLines($"/proc/{_process.Id}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    public void Dispose() => Stop(_process);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }
}
