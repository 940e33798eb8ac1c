"""The alarm engine proper, pure and clock-free: observations in, transitions out.

`evaluator` routes readings, statuses, ticks and operator actions to the steps of
`conditions` (threshold, rate of change, offline) and `excursions` (compliance
records, hold decisions), all through the ISA-18.2 `lifecycle`; `findings` runs
expiry, stock (`stock_findings`) and the hub's own system alarms through it too.
"""
