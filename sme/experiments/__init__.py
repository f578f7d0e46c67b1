"""Behavioural experiments: real agents told a prior, observed beside SME's prediction.

Built on Inspect (``inspect-ai``, the optional ``experiments`` extra); imported only by the
``sme experiment`` command, so the engine never needs Inspect installed.

* :mod:`.protocol` — the text protocol: the instructions, each round's request, parsing a
  reply into an action;
* :mod:`.world` — one episode's world: outcomes drawn by the world program, payoffs;
* :mod:`.conditions` — the conditions of an experiment (``--prior``, ``--set``, a grid);
* :mod:`.task` — the Inspect task: one sample per episode, ``T`` rounds each;
* :mod:`.run` — running it as a resumable Inspect eval set in one log directory;
* :mod:`.bayes` — the ``sme/bayes`` model provider: the Bayesian learner of ``sme simulate``
  answering the text protocol;
* :mod:`.records` — round records read from Inspect logs or from JSONL/CSV files;
* :mod:`.observed` — observed phases per condition, with Wilson intervals;
* :mod:`.consistency` — each episode judged against the prediction (actions in ``R``,
  resting at a predicted equilibrium), and a condition's agreement;
* :mod:`.report` — predicted against observed: agreement, invalid conditions, confusion
  matrix, figure.
"""
