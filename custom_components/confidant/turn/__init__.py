"""One turn of an agent, as steps: conversation.py runs them top to bottom."""
