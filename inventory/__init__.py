"""Stockwarden inventory."""
