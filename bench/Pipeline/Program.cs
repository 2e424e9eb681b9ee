using BenchmarkDotNet.Running;

BenchmarkRunner.Run<TracedLlm.Benchmarks.PipelineBenchmarks>(args: args);
