"""Prior search: Optuna studies over a scenario's declared prior parameters.

One module per job:

* :mod:`search.space` — Optuna distributions from the declared prior parameters, narrowed
  from the command line; normalised distances and neighbourhoods;
* :mod:`search.objectives` — feasibility, fidelity, distance and margin of a batch of
  trials from one batched :func:`sme.analysis.analyze_batch` pass;
* :mod:`search.samplers` — Optuna samplers by name;
* :mod:`search.storage` — storage URLs, the default journal file, credential redaction;
* :mod:`search.study` — opening studies and the ask/tell loop (kept apart from storage);
* :mod:`search.job` — a search's settings as plain data, and building everything from them;
* :mod:`search.workers` — K local worker processes on one study;
* :mod:`search.results` — ranked candidates and exported documents.

``search`` imports ``sme`` and ``priors``; ``sme`` imports ``search`` only lazily, inside its
command-line modules.
"""
