using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace TracedLlm.OpenTelemetry;

/// <summary>
/// The disk buffer: one file per serialized batch in a directory, at most a byte cap of them. A
/// batch is written to <c>*.tmp</c> and renamed to <c>*.otlp</c> (a rename is atomic, so a crash
/// mid-write leaves only a <c>.tmp</c>, which the next start deletes), and deleted once it is
/// delivered or refused for good. The file's name orders it and says how many spans it holds:
/// <c>{UTC ticks}-{sequence}-{spans}.otlp</c>. The directory is locked by the process that uses it
/// (a lock file held open without sharing, which the kernel releases when the process dies, SIGKILL
/// included). Like the OpenTelemetry Collector's file storage, it holds the bytes as they will be
/// sent: the body of an OTLP request, never the endpoint's credentials.
/// </summary>
internal sealed class DiskExportBuffer : IDisposable
{
    private const string Extension = ".otlp";
    private const string Partial = ".tmp";

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly FileStream _lock;
    private long _bytes;
    private long _written;

    private DiskExportBuffer(string directory, long maxBytes, FileStream lockFile, List<(string File, long Bytes, int Spans)> found)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _lock = lockFile;
        Found = found;
        _bytes = found.Sum(f => f.Bytes);
    }

    /// <summary>The directory.</summary>
    public string Directory => _directory;

    /// <summary>The batches an earlier process left, oldest first.</summary>
    public IReadOnlyList<(string File, long Bytes, int Spans)> Found { get; }

    /// <summary>The bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Opens (creating it, readable by this user only) and locks <paramref name="directory"/>; null
    /// with <paramref name="problem"/> when it cannot be used (another process holds it, no permission).
    /// </summary>
    public static DiskExportBuffer? Open(string directory, long maxBytes, out string? problem)
    {
        problem = null;
        try
        {
            var full = Path.GetFullPath(directory);
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(full);
            }
            else
            {
                System.IO.Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            FileStream lockFile;
            try
            {
                lockFile = new FileStream(Path.Combine(full, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                problem = $"the disk buffer {full} is in use by another process; this one buffers in memory only";
                return null;
            }

            foreach (var partial in System.IO.Directory.EnumerateFiles(full, "*" + Partial))
            {
                File.Delete(partial);
            }

            var found = new List<(string, long, int)>();
            foreach (var file in System.IO.Directory.EnumerateFiles(full, "*" + Extension).Order(StringComparer.Ordinal))
            {
                if (SpansIn(file) is { } spans)
                {
                    found.Add((file, new FileInfo(file).Length, spans));
                }
            }

            return new DiskExportBuffer(full, maxBytes, lockFile, found);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"the disk buffer {directory} cannot be used ({e.GetType().Name}); this process buffers in memory only";
            return null;
        }
    }

    /// <summary>
    /// Writes a batch to its file unless that would pass the cap; true once it is there. An I/O failure
    /// (a full disk) is a false, with <paramref name="problem"/>.
    /// </summary>
    public bool TryWrite(ExportPayload payload, out string? problem)
    {
        problem = null;
        if (Interlocked.Read(ref _bytes) + payload.Bytes > _maxBytes)
        {
            return false;
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:D19}-{Interlocked.Increment(ref _written):D10}-{payload.Spans}");
        var file = Path.Combine(_directory, name + Extension);
        var partial = Path.Combine(_directory, name + Partial);
        try
        {
            using (var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                payload.WriteTo(stream);
            }

            File.Move(partial, file);
        }
        catch (IOException e)
        {
            problem = $"a batch could not be written to the disk buffer ({e.Message})";
            TryDelete(partial);
            return false;
        }

        Interlocked.Add(ref _bytes, payload.Bytes);
        payload.MovedTo(file);
        return true;
    }

    /// <summary>Deletes a batch's file (delivered, or refused for good).</summary>
    public void Delete(ExportPayload payload)
    {
        if (payload.File is { } file && TryDelete(file))
        {
            Interlocked.Add(ref _bytes, -payload.Bytes);
        }
    }

    public void Dispose() => _lock.Dispose();

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    // The span count the name ends with, or null for a file that is not ours.
    private static int? SpansIn(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var dash = name.LastIndexOf('-');
        return dash > 0 && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var spans) ? spans : null;
    }
}
