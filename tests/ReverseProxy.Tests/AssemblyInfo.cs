// The ActivityListener sees every span of the process: tests run one at a time so each sees only its own.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
