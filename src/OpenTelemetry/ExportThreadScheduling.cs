using System;
using System.Runtime.InteropServices;

namespace TracedLlm;

/// <summary>
/// Lets the export thread step aside for requests on Linux. A batch's OTLP serialization is one
/// uninterrupted CPU burst (about 1.5 ms for 512 spans on the benchmark's VM), and the kernel lets a
/// running thread finish its slice before a request thread that wakes on the same core: one request
/// in thirty waited behind a whole burst (bench/results/2026-11-23-gateway-issue19.md). Under the
/// <c>SCHED_IDLE</c> policy the thread runs only when no request thread is ready, and any wake-up
/// takes the core from it at once. It must come back to the normal policy when spans pile up, or a
/// saturated gateway would starve it and drop spans; an unprivileged thread may leave
/// <c>SCHED_IDLE</c> only when <c>RLIMIT_NICE</c> allows nice 0 (or with <c>CAP_SYS_NICE</c>), so the
/// round trip is tried once, and where it is refused the thread stays normal.
/// </summary>
internal static class ExportThreadScheduling
{
    private const int SchedOther = 0;
    private const int SchedIdle = 5;

    // gettid(2) by number (glibc before 2.30 has no wrapper): x86-64 186, arm64 178.
    private static readonly long SysGetTid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 178 : 186;

    /// <summary>
    /// Whether the calling thread may step aside: on Linux, when it can enter <c>SCHED_IDLE</c> and
    /// leave it again. Leaves the thread on the normal policy.
    /// </summary>
    internal static bool CanStepAside()
    {
        if (!OperatingSystem.IsLinux()
            || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return false;
        }

        try
        {
            return Apply(background: true) && Apply(background: false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc or musl: no step aside.
            return false;
        }
    }

    /// <summary>
    /// Puts a thread (by its Linux thread id; 0, the default, is the calling thread) on
    /// <c>SCHED_IDLE</c> (background) or back on <c>SCHED_OTHER</c>; false if refused.
    /// </summary>
    internal static bool Apply(bool background, int threadId = 0)
    {
        var parameter = default(SchedParam);
        return SchedSetScheduler(threadId, background ? SchedIdle : SchedOther, ref parameter) == 0;
    }

    /// <summary>The calling thread's Linux thread id.</summary>
    internal static int CurrentThreadId() => (int)SysCall(SysGetTid);

    /// <summary>Whether the calling thread runs under <c>SCHED_IDLE</c> now (Linux only).</summary>
    internal static bool IsBackground() => OperatingSystem.IsLinux() && SchedGetScheduler(0) == SchedIdle;

    [DllImport("libc", EntryPoint = "sched_setscheduler")]
    private static extern int SchedSetScheduler(int pid, int policy, ref SchedParam parameter);

    [DllImport("libc", EntryPoint = "syscall")]
    private static extern long SysCall(long number);

    [DllImport("libc", EntryPoint = "sched_getscheduler")]
    private static extern int SchedGetScheduler(int pid);

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }
}
