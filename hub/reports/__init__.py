"""Compliance and stock reports, composed from the parts' own queries: the zone
report (zone.py), a lot's trace (trace.py), the inventory's reports
(inventory/reports.py); rendered as JSON, CSV (tables.py) and PDF (pdf.py)."""
