"""Run-time plumbing: user errors, threads, batched passes, memory estimates, the version."""
