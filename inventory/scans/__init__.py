"""Scanning: what a barcode means (interpret), what a scan asks the stock to do
(actions), the scanner registry and its tables (registry, orm), and the MQTT scan
consumer that books gateways' scans exactly once (consumer, booking, settings)."""
