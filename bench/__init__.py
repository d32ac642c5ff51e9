"""Benchmarks: Confidant against Home Assistant core's agents (scripts/bench)."""
