// The export tests start gateways, receivers and export threads, and read process-wide counters
// (tracedllm.export.dropped_spans): one test at a time, on a machine whose cores are shared.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
