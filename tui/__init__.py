"""Terminal user interface for designing priors and following searches."""
