"""Confidant's privacy machinery: what is kept, and what left the house.

- ``gate``: what may leave the house, applied to every request to a provider.
- ``ledger``: the record of what left the house; ``meter``: counting it at
  the entry's HTTP client.
- ``retention``: transcripts kept on disk, only when the household chose a
  retention period and agreed to it; purged when they expire, listed,
  exported and deleted by an administrator, and forgotten on request by voice.
  ``kept_turns``: what a kept turn is; ``exclusions``: whose words are never
  kept; ``private_store``: a store of words and every file it leaves.
- ``log_filter``: keeps what people say out of Home Assistant's logs.
"""
