using System.Runtime.InteropServices;

namespace TracedLlm.Benchmarks;

/// <summary>
/// The calling thread's own user-space CPU cycles and retired instructions, from Linux
/// <c>perf_event_open</c>. Unlike wall time, these do not grow while the thread waits for a core,
/// so on a shared machine they resolve differences of a few nanoseconds a request that
/// BenchmarkDotNet's wall-clock means cannot.
/// </summary>
internal sealed class ThreadCounters : IDisposable
{
    private const long PerfEventOpen = 298; // x86_64 syscall number
    private const uint TypeHardware = 0;
    private const ulong CountCycles = 0;
    private const ulong CountInstructions = 1;
    private const ulong ExcludeKernel = 1UL << 5;
    private const ulong ExcludeHypervisor = 1UL << 6;

    private readonly int _cycles;
    private readonly int _instructions;

    private ThreadCounters(int cycles, int instructions)
    {
        _cycles = cycles;
        _instructions = instructions;
    }

    /// <summary>Opens both counters for the calling thread, or explains why it cannot.</summary>
    public static ThreadCounters Open()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException("Thread counters need Linux on x86_64 (perf_event_open).");
        }

        return new ThreadCounters(OpenCounter(CountCycles), OpenCounter(CountInstructions));
    }

    /// <summary>Cycles and instructions counted so far on this thread.</summary>
    public (long Cycles, long Instructions) Read() => (ReadCounter(_cycles), ReadCounter(_instructions));

    public void Dispose()
    {
        _ = close(_cycles);
        _ = close(_instructions);
    }

    private static unsafe int OpenCounter(ulong config)
    {
        var attr = new PerfEventAttr
        {
            Type = TypeHardware,
            Size = (uint)sizeof(PerfEventAttr),
            Config = config,
            Flags = ExcludeKernel | ExcludeHypervisor,
        };

        // pid 0, cpu -1: this thread, on whichever core it runs.
        var fd = (int)syscall(PerfEventOpen, &attr, 0, -1, -1, 0);
        if (fd < 0)
        {
            throw new InvalidOperationException(
                $"perf_event_open failed (errno {Marshal.GetLastPInvokeError()}): hardware counters are not available here " +
                "(a VM without a virtual PMU, or kernel.perf_event_paranoid above 2).");
        }

        return fd;
    }

    private static unsafe long ReadCounter(int fd)
    {
        long value;
        if (read(fd, &value, sizeof(long)) != sizeof(long))
        {
            throw new InvalidOperationException($"reading a perf counter failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return value;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe long syscall(long number, PerfEventAttr* attr, int pid, int cpu, int groupFd, ulong flags);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe nint read(int fd, void* buffer, nint count);

    [DllImport("libc")]
    private static extern int close(int fd);

    /// <summary>The first 64 bytes of <c>struct perf_event_attr</c> (PERF_ATTR_SIZE_VER0), which every kernel accepts.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PerfEventAttr
    {
        public uint Type;
        public uint Size;
        public ulong Config;
        public ulong SamplePeriod;
        public ulong SampleType;
        public ulong ReadFormat;
        public ulong Flags;
        public uint WakeupEvents;
        public uint BreakpointType;
        public ulong Config1;
    }
}
