"""Stockwarden ingest."""
