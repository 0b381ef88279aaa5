"""Figures for the reports in data/08_reporting: Hangul font, plots."""
