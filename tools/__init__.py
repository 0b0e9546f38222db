"""Development tools: the dependency audit, and the harness that serves the real app for benchmarks and tests."""
