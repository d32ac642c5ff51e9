"""Tests of the Confidant integration."""
