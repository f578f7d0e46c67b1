"""Studies on the analysis facade: phase diagrams, learning dynamics, theorems, export checks."""
