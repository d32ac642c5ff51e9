"""Keeps machinery out of the spoken answer: markup, echoed JSON, loops.

Local servers let a weak model's raw output through: tool-call markup that
leaks into the text before the server's parser recognises it (llama.cpp with
Qwen or Hermes templates), chat-template tokens (`<|im_end|>`), an echoed
`<tools>` list or `<tool_response>` with its JSON, and answers that repeat
one sentence until the token limit. None of it may be spoken.

`MarkupFilter` removes markup spans and JSON objects while the text streams,
holding back only what could still turn out to be markup, and keeps the
words around a span: "The <tool_call> tag" is not cut to "The ".
`AnswerGuard` passes whole sentences and stops the answer at the first
repeated sentence or phrase, or at a length no one would listen to.
`guard_spoken_text` applies both to a provider's stream of deltas.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Final

from . import Delta, NothingSpokenError, TextDelta, ToolCallDelta

_LOGGER = logging.getLogger(__name__)

# Tags that open a span of machinery, and the tag that closes it.
_BLOCKS: Final = {
    "<tool_call>": "</tool_call>",
    "<tool_response>": "</tool_response>",
    "<tools>": "</tools>",
    "<function_call>": "</function_call>",
    "<function=": "</function>",
    # A code block is not for reading aloud (a small model writes code when
    # asked to turn on a light).
    "```": "```",
}
# A span opened by these is machinery even when it does not start with JSON.
_ALWAYS_CALLS: Final = frozenset({"<function=", "```"})
# Single tokens dropped where they stand: stray closers and Mistral's marker.
_TOKENS: Final = (*(c for c in _BLOCKS.values() if c not in _BLOCKS), "[TOOL_CALLS]")
# A chat-template special token is `<|name|>`, short and without spaces.
_SPECIAL_TOKEN_MAX: Final = 48
_SPECIAL_TOKEN: Final = re.compile(r"<\|[^\s<>|]{0,44}\|>")
# JSON objects in the text: `{"` or `[{"`, pretty-printed or not (what tool
# results and calls are); and what may still become one at the text's end.
_JSON_START: Final = re.compile(r'(?:\[\s*)?\{\s*"')
_JSON_PARTIAL: Final = re.compile(r"(?:\[\s*(?:\{\s*)?|\{\s*)$")
_JSON: Final = "{"
_OPENERS: Final = (*_BLOCKS, *_TOKENS, "<|")
_LONGEST_OPENER: Final = max(map(len, _OPENERS))


def _json_end(text: str, start: int) -> int | None:
    """Index just past the JSON value starting at `start`, if it ends in `text`."""
    depth = 0
    in_string = False
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


class MarkupFilter:
    """Passes text through, without markup spans, special tokens or JSON."""

    def __init__(self) -> None:
        """Start with nothing held back."""
        self._pending = ""
        # The tag of an open span (waiting for its closer), or "{" for JSON.
        self._open: str | None = None
        # The last character passed on: a removed span must not leave two
        # spaces (or a leading space) behind.
        self._last = ""
        self.removed = 0

    def _emit(self, text: str) -> str:
        if self.removed and (not self._last or self._last.isspace()):
            text = text.lstrip(" \t")
        if text:
            self._last = text[-1]
        return text

    def feed(self, text: str) -> str:
        """Return the part of the text that is safe to speak now."""
        self._pending += text
        out: list[str] = []
        while self._pending:
            if self._open is not None:
                if not self._consume_open(self._open):
                    break
                continue
            start, opener = self._next_opener()
            if opener is None:
                # Hold back a tail that may be the beginning of an opener.
                keep = self._partial_tail()
                out.append(self._emit(self._pending[: len(self._pending) - keep]))
                self._pending = self._pending[len(self._pending) - keep :]
                break
            out.append(self._emit(self._pending[:start]))
            self._pending = self._pending[start:]
            if opener == "<|" and self._not_special():
                # Not a special token after all: "<|" is text.
                out.append(self._emit("<|"))
                self._pending = self._pending[2:]
                continue
            if not self._consume_opener(opener):
                break
        return "".join(out)

    def _next_opener(self) -> tuple[int, str | None]:
        best, found = len(self._pending), None
        for opener in _OPENERS:
            index = self._pending.find(opener)
            if index != -1 and (
                index < best or (index == best and found and len(opener) > len(found))
            ):
                best, found = index, opener
        if (match := _JSON_START.search(self._pending)) and match.start() < best:
            best, found = match.start(), _JSON
        return best, found

    def _partial_tail(self) -> int:
        text = self._pending
        for length in range(min(len(text), _LONGEST_OPENER - 1), 0, -1):
            tail = text[-length:]
            if any(opener.startswith(tail) for opener in _OPENERS):
                return length
        if match := _JSON_PARTIAL.search(text):
            return len(match.group())
        return 0

    def _not_special(self) -> bool:
        """Whether the "<|" starting the pending text cannot be a special token."""
        if _SPECIAL_TOKEN.match(self._pending):
            return False
        return len(self._pending) >= _SPECIAL_TOKEN_MAX or bool(
            re.match(r"<\|[^\s<>|]*[\s<>]", self._pending)
        )

    def _consume_opener(self, opener: str) -> bool:
        """Handle the opener at the start of the pending text.

        Returns False when more text is needed to decide.
        """
        if opener == "<|":
            if match := _SPECIAL_TOKEN.match(self._pending):
                self._drop(match.end())
                return True
            return False
        if opener in _TOKENS:
            self._drop(len(opener))
            return True
        self._open = opener
        if self._open in _BLOCKS:
            self._pending = self._pending[len(opener) :]
        return True

    def _consume_open(self, opened: str) -> bool:
        """Inside a span: drop it once it ends. False when it has not yet."""
        if opened == _JSON:
            end = _json_end(self._pending, 0)
            if end is None:
                return False
            self._drop(end)
        else:
            closer = _BLOCKS[opened]
            index = self._pending.find(closer)
            if index == -1:
                return False
            self._drop(index + len(closer))
        self._open = None
        return True

    def _drop(self, length: int) -> None:
        self._pending = self._pending[length:]
        self.removed += 1

    def flush(self) -> str:
        """Return what was held back once the text has ended.

        An unfinished span that starts with JSON (or a function) was a tool
        call cut short and stays unspoken; one that does not was a tag the
        model mentioned in prose, whose words are kept without the tag.
        """
        held, self._pending = self._pending, ""
        opened, self._open = self._open, None
        if opened is None:
            return self._emit(held) if not held.startswith("<|") else ""
        if opened == _JSON or opened in _ALWAYS_CALLS:
            self.removed += 1
            return ""
        if not held.strip() or held.lstrip()[0] in "{[":
            self.removed += 1
            return ""
        self.removed += 1
        return self._emit(held)


# The longest answer worth speaking, in characters (about a minute and a
# half of speech). A longer one is a runaway, not an answer.
MAX_SPOKEN_CHARS: Final = 1500
# A sentence this long or longer that comes again means the model loops.
_MIN_REPEATED: Final = 12
# A phrase repeated in a row, without any sentence end, too.
_LOOP_PERIODS: Final = range(8, 161)
_LONG_PHRASE: Final = 16
_SENTENCE_END: Final = re.compile("[.!?\u2026\u3002\uff01\uff1f\n]+")


def _normal(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", sentence.lower()).split())


def _loop_unit(text: str) -> str | None:
    """The phrase the text ends with over and over, if it does.

    A long phrase twice in a row is a loop; a short one only three times
    ("very, very" is speech).
    """
    for period in _LOOP_PERIODS:
        copies = 2 if period >= _LONG_PHRASE else 3
        if len(text) < copies * period:
            return None
        unit = text[-period:]
        if all(text[-(n + 1) * period : -n * period] == unit for n in range(1, copies)):
            return unit if unit.strip() else None
    return None


class AnswerGuard:
    """Passes the answer on as it comes; stops it when it loops or runs away.

    Words pass at once, except a sentence that so far reads like one already
    said: it waits until it ends (or differs), so a repeated sentence is
    never spoken twice. Near the maximum, whole sentences only, so the answer
    ends on a complete one.
    """

    def __init__(self, max_chars: int = MAX_SPOKEN_CHARS) -> None:
        """Start with nothing said."""
        self._max = max_chars
        # The sentence being written; how much of it was passed on.
        self._sentence = ""
        self._passed = 0
        self._said = 0
        self._seen: set[str] = set()
        self._tail = ""
        self.stopped: str | None = None

    def feed(self, text: str) -> str:
        """Return what may be spoken now."""
        if self.stopped or not text:
            return ""
        # Sentences first: a chunk that holds a sentence and its repeats
        # passes the sentence once before the repeat stops it.
        out = self._take(text)
        if self._has_stopped():
            return out
        self._tail = (self._tail + text)[-3 * _LOOP_PERIODS.stop :]
        if _loop_unit(self._tail) is not None:
            # What came before the loop was passed on as it came.
            self._stop("repeats itself")
        return out

    def _has_stopped(self) -> bool:
        # A method, so a check after _take is not narrowed by the one before.
        return self.stopped is not None

    def _take(self, text: str) -> str:
        out: list[str] = []
        position = 0
        for end in _SENTENCE_END.finditer(text):
            out.append(self._grow(text[position : end.end()], complete=True))
            position = end.end()
            if self.stopped:
                return "".join(out)
        if position < len(text):
            out.append(self._grow(text[position:], complete=False))
        return "".join(out)

    def _grow(self, piece: str, *, complete: bool) -> str:
        """Add to the current sentence; return what of it may be spoken now."""
        self._sentence += piece
        key = _normal(self._sentence)
        if complete and len(key) >= _MIN_REPEATED and key in self._seen:
            return self._stop("repeats a sentence")
        near_max = self._said + len(self._sentence) > self._max * 0.8
        if self._said + len(self._sentence) > self._max:
            return self._stop("is too long")
        held = (near_max and not complete) or (
            not complete
            and len(key) > 0
            and any(seen.startswith(key) for seen in self._seen)
        )
        out = ""
        if not held:
            out = self._sentence[self._passed :]
            self._passed = len(self._sentence)
        if complete:
            if len(key) >= _MIN_REPEATED:
                self._seen.add(key)
            self._said += len(self._sentence)
            self._sentence, self._passed = "", 0
        return out

    def _stop(self, why: str) -> str:
        self.stopped = why
        self._sentence = ""
        return ""

    def flush(self) -> str:
        """Return what was held of the last sentence once the text has ended."""
        if self.stopped or not self._sentence:
            return ""
        return self._grow("", complete=True)


async def guard_spoken_text(stream: AsyncIterator[Delta]) -> AsyncIterator[Delta]:
    """The stream with its text filtered; ends early when the answer runs away.

    Tool calls and reasoning pass unchanged. When the guard stops the answer,
    the stream is closed, which closes the connection: the server stops
    generating instead of filling its context for nothing.
    """
    markup = MarkupFilter()
    guard = AnswerGuard()
    # Text came but none of it could be said: the person still hears words.
    wrote = spoke = called = False
    try:
        async for delta in stream:
            if not isinstance(delta, TextDelta):
                called = called or isinstance(delta, ToolCallDelta)
                yield delta
                continue
            wrote = wrote or bool(delta.text.strip())
            if text := guard.feed(markup.feed(delta.text)):
                spoke = True
                yield TextDelta(text)
            if guard.stopped:
                break
        if not guard.stopped and (text := guard.feed(markup.flush()) + guard.flush()):
            spoke = True
            yield TextDelta(text)
        if guard.stopped:
            _LOGGER.info("Stopped an answer that %s", guard.stopped)
        if markup.removed:
            _LOGGER.debug("Held back %d pieces of markup", markup.removed)
        if wrote and not spoke and not called:
            raise NothingSpokenError("only machinery in the answer")
    finally:
        if isinstance(stream, AsyncGenerator):
            await stream.aclose()
