"""Household memory: facts the household asked Confidant to remember.

Off by default, on only with the household's consent (the privacy step).
`store` keeps the facts, `phrases` hears the requests, `requests` answers
them, `prompt` hands the facts to the model as quoted data, `services` are
the administrator's actions. Not to be confused with `..memory`, the
short-term context of an open conversation.
"""
