"""``sme bench``: the timed workloads and the plain computations they are measured against."""
