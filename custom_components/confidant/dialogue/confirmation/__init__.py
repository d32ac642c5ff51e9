"""Sensitive actions: the model can ask for them, only a person can allow them.

The model may be hijacked by anything it reads, so this package assumes it is:

- Every tool the model can call in a turn is wrapped (guarded_tool.py). What
  a call would do is read from Home Assistant (../sensitivity); a sensitive
  call is held (held.py), never run, and the model is told so.
- When the turn ends with held calls, Confidant, not the model, asks
  (question.py): its own translated question names every held action and
  target, and it is the last thing said. A turn that ends in an error asks
  nothing, so it holds nothing.
- Only the person's very next reply, in the same conversation, on the same
  device, by the same user, within a short window, can confirm; "no",
  silence, anything else or the window passing cancels all of it. Devices the
  household marks, and calls without a device, cannot confirm at all
  (policy.py).
- A yes runs exactly what was asked (run.py): each held call is read again
  just before it runs, and if it would now act on anything the question did
  not name, nothing runs.
- With a PIN set, the yes must carry it (pin.py). Confidant compares it; it is
  taken out of every utterance before the words go to a model, the memory or
  a transcript, and repeated wrong PINs lock sensitive actions for a while.

The gate (gate.py) ties these steps together for one agent.
"""

from .gate import ConfirmationGate, TurnEnd
from .policy import GatePolicy

__all__ = ["ConfirmationGate", "GatePolicy", "TurnEnd"]
