"""Figures and text: matplotlib plots, rich text reports, the plain-language explanation."""
