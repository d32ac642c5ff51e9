"""A local model's machinery is never spoken: markup, echoed JSON, loops.

The cases are what SmolLM2 and other small models did through llama-server
(tests/real_model): tool markup mentioned in prose, an echoed `<tools>` list,
echoed tool results, chat-template tokens, one sentence until the token limit.
Each goes through Home Assistant to the spoken answer, on both local
providers (llama.cpp's Chat Completions and Ollama's native API).
"""

from __future__ import annotations

import pytest
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.providers.markup_filter import (
    MAX_SPOKEN_CHARS,
    AnswerGuard,
    MarkupFilter,
)

from .conftest import TURN_ON_KITCHEN, Home, ask, speech, wire_sample
from .llm_server import LLMServer, Reply


@pytest.mark.parametrize(
    ("said", "spoken"),
    [
        # Mentioned in prose: the words around the tag are kept.
        (
            "The <tool_call> tag is how I would call a tool.",
            "The tag is how I would call a tool.",
        ),
        # A tool call written as text after the answer.
        (
            (
                'Turning it on. <tool_call>\n{"name": "HassTurnOn", "arguments": '
                '{"name": "Kitchen"}}\n</tool_call>'
            ),
            "Turning it on.",
        ),
        # An echoed tool result with its JSON, then the real answer.
        (
            (
                'Done: <tool_response>\n{"speech": {"plain": {"speech": "ok"}}}\n'
                "</tool_response> The light is on."
            ),
            "Done: The light is on.",
        ),
        # Echoed JSON without any tag.
        (
            'The result was {"success": true, "targets": ["light.kitchen"]} for you.',
            "The result was for you.",
        ),
        # Pretty-printed, as SmolLM2 echoed the tools it was given.
        (
            'Sure. {\n  "type": "function",\n  "function": {\n    "name": "x"\n  }\n}',
            "Sure.",
        ),
        # Code is not read aloud (SmolLM2 wrote some when asked for a light).
        (
            "You can use the following code:\n\n```\nfunction turnOnLights() {",
            "You can use the following code:",
        ),
        ("Run ```ls -l``` and see.", "Run and see."),
        # Chat-template tokens.
        ("All done.<|im_end|><|im_start|>", "All done."),
        # What SmolLM2 said to its own template: the prompt's tool list.
        (
            (
                "You are provided with function signatures.\n<tools>\n"
                '{"type": "function", "function": {"name": "HassTurnOn"'
            ),
            "You are provided with function signatures.",
        ),
        # Not markup: kept as said.
        ("Use a < b and a | b, {curly} too.", "Use a < b and a | b, {curly} too."),
    ],
)
async def test_markup_is_held_back(
    hass: HomeAssistant,
    local_entry: MockConfigEntry,
    llm_server: LLMServer,
    said: str,
    spoken: str,
) -> None:
    llm_server.script(Reply(text=said))
    result = await ask(hass, "hello")
    assert speech(result).strip() == spoken


async def test_an_answer_of_only_machinery_still_gets_words(
    hass: HomeAssistant, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """SmolLM2 answered with nothing but the echoed tool list."""
    llm_server.script(
        Reply(text='{\n  "type": "function",\n  "function": {"name": "x"}}')
    )
    assert speech(await ask(hass, "turn on the lights")) == (
        "I don't have an answer to that. Please try asking in other words."
    )


async def test_a_looping_answer_is_stopped(
    hass: HomeAssistant, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """One sentence over and over is said once; the rest is never spoken."""
    loop = "The garage door is open and the lights are on. " * 60
    llm_server.script(Reply(text="Let me check. " + loop))
    result = await ask(hass, "is the garage open")
    assert (
        speech(result).strip()
        == "Let me check. The garage door is open and the lights are on."
    )


async def test_a_phrase_loop_without_full_stops_is_stopped(
    hass: HomeAssistant, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    llm_server.script(Reply(text="I think " + "that the answer is " * 100))
    answer = speech(await ask(hass, "what do you think"))
    # Words stream as they come: the loop is known on its third time, when
    # two were passed on; the remaining 97 never are.
    assert answer.count("that the answer is") <= 2
    assert len(answer) < 60


async def test_a_runaway_answer_has_a_maximum(
    hass: HomeAssistant, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Different sentences, each new, but far too many to listen to."""
    text = " ".join(f"Line number {n} of the story goes on." for n in range(400))
    llm_server.script(Reply(text=text))
    answer = speech(await ask(hass, "tell me a story"))
    assert answer.startswith("Line number 0 of the story goes on.")
    assert len(answer) <= MAX_SPOKEN_CHARS
    # It ends on a whole sentence.
    assert answer.rstrip().endswith("goes on.")


async def test_tool_calls_still_run_next_to_markup(
    hass: HomeAssistant, home: Home, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Markup in the text does not swallow the real tool call after it."""
    llm_server.script(
        Reply(
            text="<tool_call>",
            tool_calls=[TURN_ON_KITCHEN],
        ),
        Reply(text="The kitchen lights are on."),
    )
    answer = speech(await ask(hass, "kitchen lights on"))
    assert answer == "The kitchen lights are on."
    assert hass.states.get(home.kitchen).state == STATE_ON


async def test_llamacpp_leaked_markup_capture(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The captured llama-server stream whose markup leaked into the content."""
    llm_server.script_raw(wire_sample("llamacpp_tool_markup_leaks_into_content.sse"))
    llm_server.script(Reply(text="It is sunny."))
    answer = speech(await ask(hass, "weather?"))
    assert "<" not in answer
    assert "function" not in answer
    assert answer.endswith("It is sunny.")


def _run(chunks: list[str]) -> str:
    markup, guard = MarkupFilter(), AnswerGuard()
    out = "".join(guard.feed(markup.feed(chunk)) for chunk in chunks)
    return out + guard.feed(markup.flush()) + guard.flush()


def test_markup_split_anywhere_across_deltas() -> None:
    """However a server splits the text, the markup is held back the same."""
    text = (
        'I will do it. <tool_call>{"name": "x", "arguments": {"a": "}"}}'
        "</tool_call> Done.<|im_end|>"
    )
    for size in range(1, 12):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        assert _run(chunks) == "I will do it. Done.", size
