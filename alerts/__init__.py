"""Stockwarden alerts."""
