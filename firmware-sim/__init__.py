"""Stockwarden firmware-sim."""
