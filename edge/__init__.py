"""Stockwarden edge agent: reads sensors and scanners, publishes to MQTT."""
