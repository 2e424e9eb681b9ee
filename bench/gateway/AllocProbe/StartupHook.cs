// A .NET startup hook for bench/gateway/profile (DOTNET_STARTUP_HOOKS=.../AllocProbe.dll). It writes
// the process's total allocated bytes, GC counts and thread-pool work items completed to the file named by ALLOC_PROBE_FILE every
// 200 ms (best on a tmpfs such as /dev/shm), so the profile can read them before and after a wrk
// run and divide by its requests; with ALLOC_PROBE_TYPES=1 it also writes, to the same name plus
// ".types", the types the runtime's allocation sampling (GCAllocationTick, one event per ~100 KB)
// saw, with their sampled bytes. Nothing in the gateway changes; the probe's own writes allocate a
// few hundred bytes a tick (under 0.1 % of a loaded second).
using System;
using System.IO;
using System.Linq;
using System.Threading;

internal static class StartupHook
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("ALLOC_PROBE_FILE");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var sampler = Environment.GetEnvironmentVariable("ALLOC_PROBE_TYPES") == "1" ? new AllocationSampler() : null;
        var thread = new Thread(() =>
        {
            while (true)
            {
                Write(path, $"{GC.GetTotalAllocatedBytes(precise: false)} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {ThreadPool.CompletedWorkItemCount}\n");
                if (sampler is not null)
                {
                    string types;
                    lock (sampler.Types)
                    {
                        types = string.Concat(sampler.Bytes.OrderByDescending(p => p.Value).Select(p => $"{p.Value} {p.Key}\n"));
                    }

                    Write(path + ".types", types);
                }

                Thread.Sleep(200);
            }
        })
        {
            IsBackground = true,
            Name = "alloc-probe",
        };
        thread.Start();
    }

    private static void Write(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
