"""How fast a server reads a prompt, as measured on its own answers.

A local server sends nothing until it has evaluated the whole prompt: on a
small CPU a 1,500-token prompt took 23 s, 5,000 tokens over 80 s. How long
to wait for the first word therefore depends on the prompt's size and on
the server. llama.cpp reports `timings.prompt_n`/`prompt_ms` on its last
chunk and Ollama `prompt_eval_count`/`prompt_eval_duration` on its last
line: tokens it really evaluated (a cached prefix is not counted), so the
speed is the server's, whatever its cache saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

# Shorter evaluations say more about overhead than about speed.
MIN_SAMPLE_TOKENS: Final = 64
# A faster sample moves the estimate only part of the way: a busy moment
# should not be forgotten after one quick answer.
_FASTER_WEIGHT: Final = 0.3


class PromptSpeed:
    """The prompt speed of one server, in tokens per second (None: unknown)."""

    def __init__(self) -> None:
        """Start unknown."""
        self.tokens_per_second: float | None = None
        # Called after every change (the entry keeps the speed on disk).
        self.on_change: Callable[[], None] | None = None

    def observe(self, tokens: Any, seconds: Any) -> None:
        """A measured evaluation: `tokens` evaluated in `seconds`."""
        if not isinstance(tokens, (int, float)) or not isinstance(
            seconds, (int, float)
        ):
            return
        if tokens < MIN_SAMPLE_TOKENS or seconds <= 0:
            return
        self._update(tokens / seconds)

    def observe_silence(self, tokens: float, seconds: float) -> None:
        """No first word after `seconds` for a prompt of about `tokens`.

        The server is at most this fast: the next deadline is longer.
        """
        if seconds > 0 and tokens > 0:
            bound = tokens / seconds
            if self.tokens_per_second is None or bound < self.tokens_per_second:
                self.tokens_per_second = bound
                self._changed()

    def _update(self, sample: float) -> None:
        if self.tokens_per_second is None or sample < self.tokens_per_second:
            # Slower: believed at once.
            self.tokens_per_second = sample
        else:
            self.tokens_per_second += _FASTER_WEIGHT * (sample - self.tokens_per_second)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def seconds_for(self, tokens: float) -> float | None:
        """About how long a prompt of `tokens` takes, if the speed is known."""
        if not self.tokens_per_second:
            return None
        return tokens / self.tokens_per_second
