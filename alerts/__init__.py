"""Stockwarden alerts: rules as data, a pure evaluator, notification planning.

See docs/alerts.md. Nothing here does IO: the hub's edges feed observations in
and carry out the transitions, hold decisions and messages that come out.
"""
