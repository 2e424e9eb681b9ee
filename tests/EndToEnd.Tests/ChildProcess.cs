using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>A process the tests start, with every output line kept; killed with its children on dispose.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errorLines = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public IReadOnlyList<string> Lines => _lines.ToList();

    public string Output => string.Join("\n", _lines);

    /// <summary>The standard error lines alone (they are in <see cref="Lines"/> too).</summary>
    public IReadOnlyList<string> ErrorLines => _errorLines.ToList();

    public int Id => _process.Id;

    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var child = new ChildProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        child._process.OutputDataReceived += (_, e) => child.Add(e.Data);
        child._process.ErrorDataReceived += (_, e) =>
        {
            child.Add(e.Data);
            if (e.Data is not null)
            {
                child._errorLines.Enqueue(e.Data);
            }
        };
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Runs a command to its end; fails with its output when it exits non-zero or outlives the timeout.
    /// </summary>
    public static async Task<string> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout)
    {
        using var child = Start(fileName, arguments, workingDirectory);
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await child._process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"{fileName} {string.Join(' ', arguments)} did not finish in {timeout}:\n{child.Output}");
        }

        child._process.WaitForExit();
        if (child._process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {child._process.ExitCode}:\n{child.Output}");
        }

        return child.Output;
    }

    /// <summary>Waits for the first output line that <paramref name="match"/> accepts.</summary>
    public async Task<T> WaitForLineAsync<T>(Func<string, T?> match, TimeSpan timeout)
        where T : class
    {
        T? found = null;
        bool Printed()
        {
            found = _lines.Select(match).FirstOrDefault(m => m is not null);
            return found is not null
                || (_process.HasExited
                        ? throw new InvalidOperationException(
                            $"{_process.StartInfo.FileName} exited with {_process.ExitCode}:\n{Output}")
                        : false);
        }

        if (await Eventually.TryAsync(Printed, timeout, TimeSpan.FromMilliseconds(25)))
        {
            return found!;
        }

        throw new TimeoutException($"{_process.StartInfo.FileName} did not print the expected line:\n{Output}");
    }

    /// <summary>
    /// Waits for the process to exit (its output read to the end); its exit code, or null when it outlives the timeout.
    /// </summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
