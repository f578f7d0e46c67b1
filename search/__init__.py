"""Prior search: Optuna studies over a scenario's declared prior parameters."""
