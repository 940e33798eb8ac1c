"""Stockwarden alerts: rules as data, a pure evaluator, the alarm lifecycle in SQL,
notifications. See docs/alerts.md.

- `rules/`, `engine/` and `notifications/plan.py` are pure: no IO, no clock; the
  unit tests run them in milliseconds.
- `service.py` puts IO around them: it is fed by the hub's hooks and its own timer,
  stores transitions (`repository.py`; reads for the API in `queries.py`), publishes on
  MQTT (`publisher.py`), sends (`notifications/dispatch.py`) and counts (`metrics.py`).
- What it needs of ingest and the inventory comes as callables (`sources.py`),
  built by the hub (hub/alarm_wiring.py): `alerts` imports neither.
"""
