"""What a tool call would do, read from Home Assistant, never from the model.

The confirmation gate asks before a call whose effect is sensitive: unlocking,
opening a door, gate, garage door or valve, disarming an alarm, or acting on
anything the household put on the agent's "always ask before" list. This
package decides that for every kind of tool a model can call:

- intent tools (intents.py): targets resolved the way the intent resolves
  them (every entity sharing a name counts), then the service it would call
  on each;
- `intent_script` intents and scripts, as tools or as actions (scripts.py):
  their actions are read, following nested scripts, automations, scenes and
  device actions (device_actions.py);
- any other tool (reader.py): its annotations. A tool that declares itself
  read-only never asks; one whose effect cannot be read follows the agent's
  choice.

Which action on which entity is sensitive is verbs.py's to say. Nothing here
trusts a tool's name or description, or anything the model said.
"""

from .reader import SensitivityReader
from .verdict import Verdict

__all__ = ["SensitivityReader", "Verdict"]
