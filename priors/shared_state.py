"""The lock around the state a whole process shares.

Pyro's stack of effect handlers and torch's default random generator belong to the
process, not to a thread: tracing a program and seeded draws from the default generator
hold :data:`PROCESS_STATE`, so that compilations may run in several threads at once
(everything else they do works on tensors of their own).
"""

from __future__ import annotations

import threading

#: held while a program is traced or the default random generator is seeded and drawn from
PROCESS_STATE = threading.RLock()
