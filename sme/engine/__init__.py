"""The Berk–Nash mathematics on tensors (Γ, R, envelopes, equilibria, phases); priors only."""
