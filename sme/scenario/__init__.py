"""The scenario a user declares: actions, parameters, prompt, objective risks, shipped examples."""
