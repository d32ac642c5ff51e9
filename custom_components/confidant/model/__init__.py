"""Knowing the chosen model: its capabilities, speed, deadlines and cache."""
