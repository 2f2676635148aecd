"""Luukku: one counter for everything."""

__version__ = "0.1.0"
