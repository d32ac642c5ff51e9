"""Looking at cameras: snapshots described by a vision model, and visitors."""
