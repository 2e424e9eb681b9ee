using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// The disk buffer: one file per serialized batch in a directory, at most a byte cap of them. A
/// batch is written to <c>*.tmp</c> and renamed to <c>*.otlp</c> (a rename is atomic, so a crash
/// mid-write leaves only a <c>.tmp</c>, which the next start deletes), and deleted once it is
/// delivered or refused for good. The file's name orders it and says how long it is and how many
/// spans it holds: <c>{UTC ticks}-{sequence}-{bytes}-{spans}.otlp</c>; a file whose length is not the
/// one its name says (cut short: the machine, not only the process, stopped before the kernel wrote
/// it out) is deleted at the next start and its spans counted as dropped, never sent as a shorter
/// request a collector might take for a whole one. Files are not flushed to the device one by one
/// (that would put a disk's latency on the export thread for every batch): a process's crash loses
/// nothing the kernel had, a power loss may lose the last seconds' files. The directory is locked by
/// the process that uses it (a lock file held open without sharing, which the kernel releases when
/// the process dies, SIGKILL included). Like the OpenTelemetry Collector's file storage, it holds the
/// bytes as they will be sent: the body of an OTLP request, never the endpoint's address, headers or
/// credentials (those come from the exporter's options of the process that sends). Only the export
/// thread writes (so the cap's check and the count cannot race); sends delete.
/// </summary>
internal sealed class DiskExportBuffer : IDisposable
{
    private const string Extension = ".otlp";
    private const string Partial = ".tmp";

    // Unbuffered (one write of the whole body), and readable by this user only even in a directory
    // that existed before with wider permissions.
    private static readonly FileStreamOptions NewFile = NewFileOptions();

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly FileStream _lock;
    private long _bytes;
    private long _written;

    private DiskExportBuffer(
        string directory,
        long maxBytes,
        FileStream lockFile,
        List<(string File, long Bytes, int Spans)> found,
        long cutShortSpans)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _lock = lockFile;
        Found = found;
        CutShortSpans = cutShortSpans;
        _bytes = found.Sum(f => f.Bytes);
    }

    /// <summary>The batches an earlier process left, oldest first.</summary>
    public IReadOnlyList<(string File, long Bytes, int Spans)> Found { get; }

    /// <summary>The spans of the files an earlier process left cut short (deleted at the start, not sent).</summary>
    public long CutShortSpans { get; }

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
                System.IO.Directory.CreateDirectory(
                    full,
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            FileStream lockFile;
            try
            {
                lockFile = new FileStream(
                    Path.Combine(full, "lock"),
                    FileMode.OpenOrCreate,
                    FileAccess.ReadWrite,
                    FileShare.None);
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
            long cutShort = 0;
            var files = System.IO.Directory.EnumerateFiles(full, "*" + Extension).Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                if (Parse(file) is not var (bytes, spans))
                {
                    continue;
                }

                if (new FileInfo(file).Length == bytes)
                {
                    found.Add((file, bytes, spans));
                }
                else
                {
                    cutShort += spans;
                    TryDelete(file);
                }
            }

            return new DiskExportBuffer(full, maxBytes, lockFile, found, cutShort);
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem =
                $"the disk buffer {directory} cannot be used ({e.GetType().Name}); this process buffers in memory only";
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

        var name = string.Create(
            CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow.Ticks:D19}-{Interlocked.Increment(ref _written):D10}-{payload.Bytes}-{payload.Spans}");
        var file = Path.Combine(_directory, name + Extension);
        var partial = Path.Combine(_directory, name + Partial);
        try
        {
            using (var stream = new FileStream(partial, NewFile))
            {
                payload.WriteTo(stream);
            }

            File.Move(partial, file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static FileStreamOptions NewFileOptions()
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    // The length and span count the name ends with ({ticks}-{sequence}-{bytes}-{spans}), or null for a file that is not
    // ours.
    private static (long Bytes, int Spans)? Parse(string file)
    {
        var parts = Path.GetFileNameWithoutExtension(file).Split('-');
        return parts.Length == 4
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var spans)
            ? (bytes, spans)
            : null;
    }
}
