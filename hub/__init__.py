"""Stockwarden hub: the composition root (settings, database, app factory, CLI).

Kept import-light: the CLI lives here and must run on an edge-only install.
"""

__version__ = "0.1.0"
