"""Extractive QA core: windows, batching, inference and span decoding."""
