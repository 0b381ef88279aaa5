"""The embedded default: synthetic Korean data and a small model built locally."""
