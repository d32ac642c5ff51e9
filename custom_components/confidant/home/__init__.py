"""The home as the model sees it: words, the entity index, the Assist API.

The one place to re-check on each Home Assistant release.
"""
