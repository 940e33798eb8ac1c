"""The dashboards drawn from the hub's PostgreSQL records alone: *Inventory and
expiry* and *Alarms*."""

from __future__ import annotations

from dashboards.panels import Json, ascending, color_by, dashboard, panel, sql, sql_stat, sql_table

# Stock on hand per lot, with its item and the zone of each bin.
ON_HAND = """
FROM balances b JOIN lots lo ON lo.id = b.lot_id JOIN items i ON i.id = b.item_id
  JOIN locations l ON l.id = b.location_id JOIN zones z ON z.id = l.zone_id
WHERE b.quantity > 0
"""
ITEM_STOCK = """
SELECT i.sku AS "Item", i.name AS "Name", COALESCE(SUM(b.quantity), 0) AS "On hand",
  i.min_stock AS "Minimum", i.max_stock AS "Maximum"
FROM items i LEFT JOIN balances b ON b.item_id = i.id
GROUP BY i.id, i.sku, i.name, i.min_stock, i.max_stock
"""


def expiring(days: int) -> str:
    return f"""
SELECT i.sku AS "Item", lo.lot_number AS "Lot", lo.expiry AS "Expiry",
  lo.expiry - CURRENT_DATE AS "Days left", lo.qc_status AS "Status",
  string_agg(DISTINCT z.code, ', ') AS "Zones", SUM(b.quantity) AS "On hand"
{ON_HAND} AND lo.expiry < CURRENT_DATE + {days}
GROUP BY i.sku, lo.lot_number, lo.expiry, lo.qc_status ORDER BY lo.expiry, i.sku, lo.lot_number
"""


def count_expiring(days: int) -> str:
    return f"""SELECT COUNT(DISTINCT lo.id) AS "Lots" {ON_HAND}
AND lo.expiry < CURRENT_DATE + {days}"""


DAYS_LEFT = ascending(("red", None), ("orange", 0), ("yellow", 30), ("green", 90))


def inventory_and_expiry() -> Json:
    count_colours = ascending(("green", None), ("orange", 1))
    return dashboard(
        "stockwarden-inventory", "Stockwarden: inventory and expiry",
        "Stock by zone, lots near expiry, lots on hold and items outside their stock "
        "levels, from the hub's PostgreSQL (the same records as GET /api/v1/stock and "
        "/api/v1/reports/expiry). Lots already expired count as expiring (days left below 0).",
        [],
        [
            sql_stat("Lots expiring within 30 days", "Lots in stock whose expiry is "
                     "less than 30 days away, or past.", count_expiring(30),
                     thresholds=ascending(("green", None), ("red", 1))),
            sql_stat("Lots expiring within 90 days", "Lots in stock whose expiry is "
                     "less than 90 days away, or past.", count_expiring(90),
                     thresholds=count_colours),
            sql_stat("Lots on hold", "Lots in stock with quality status on hold "
                     "(an excursion, a complaint): not to be picked.",
                     f"""SELECT COUNT(DISTINCT lo.id) AS "Lots" {ON_HAND}
                     AND lo.qc_status = 'on_hold'""", thresholds=count_colours),
            sql_stat("Items below minimum", "Items whose stock on hand is below their "
                     "minimum stock level.",
                     f"""SELECT COUNT(*) AS "Items" FROM ({ITEM_STOCK}
                     HAVING COALESCE(SUM(b.quantity), 0) < i.min_stock) below""",
                     thresholds=ascending(("green", None), ("red", 1))),
            panel("barchart", "Stock by zone", "Units on hand per zone, and how many of "
                  "them are held (returns, stocktake or quality hold).",
                  [sql("""SELECT z.code AS "Zone", SUM(b.quantity) AS "On hand",
                       SUM(b.held) AS "Held" """ + ON_HAND
                       + """GROUP BY z.code ORDER BY z.code""")],
                  width=12, height=9, defaults={"unit": "none"},
                  options={"orientation": "horizontal", "xField": "Zone",
                           "legend": {"displayMode": "list", "placement": "bottom"}}),
            sql_table("Held lots", "Each lot on hold with its reason and where it lies.",
                      """SELECT i.sku AS "Item", lo.lot_number AS "Lot",
                      lo.qc_reason AS "Reason", lo.expiry AS "Expiry",
                      string_agg(DISTINCT z.code, ', ') AS "Zones",
                      SUM(b.quantity) AS "On hand" """ + ON_HAND
                      + """AND lo.qc_status = 'on_hold'
                      GROUP BY i.sku, lo.lot_number, lo.qc_reason, lo.expiry
                      ORDER BY i.sku, lo.lot_number""", height=9),
            sql_table("Expiring within 30 days", "Lots in stock expiring within 30 days "
                      "(or expired), the soonest first.", expiring(30),
                      overrides=[color_by("Days left", DAYS_LEFT)]),
            sql_table("Expiring within 90 days", "Lots in stock expiring within 90 days "
                      "(or expired), the soonest first.", expiring(90),
                      overrides=[color_by("Days left", DAYS_LEFT)]),
            sql_table("Items to reorder", "Items to reorder: stock on hand below the "
                      "item's minimum.", f"""{ITEM_STOCK}
                      HAVING COALESCE(SUM(b.quantity), 0) < i.min_stock ORDER BY i.sku"""),
            sql_table("Items above maximum", "Overstock: stock on hand above the item's "
                      "maximum.", f"""{ITEM_STOCK}
                      HAVING COALESCE(SUM(b.quantity), 0) > i.max_stock ORDER BY i.sku"""),
        ],
        time_from="now-24h",
    )


OPEN_ALARMS = """
SELECT raised_at AS "Raised", severity AS "Severity", state AS "State", rule AS "Rule",
  subject AS "Subject", zone AS "Zone", message AS "Message", acked_by AS "Acknowledged by",
  EXTRACT(EPOCH FROM now() - raised_at) AS "Open for"
FROM alarms WHERE state <> 'closed' ORDER BY raised_at DESC
"""


def alarms() -> Json:
    counted = ascending(("green", None), ("red", 1))
    return dashboard(
        "stockwarden-alarms", "Stockwarden: alarms",
        "The alarm engine's records in the hub's PostgreSQL: open alarms, acknowledgement, "
        "time to acknowledge and failed notifications (GET /api/v1/alarms is the same).",
        [],
        [
            sql_stat("Active, not acknowledged", "Open alarms nobody has acknowledged yet.",
                     """SELECT COUNT(*) AS "Alarms" FROM alarms WHERE state = 'active'""",
                     thresholds=counted),
            sql_stat("Acknowledged", "Open alarms acknowledged but not yet cleared.",
                     """SELECT COUNT(*) AS "Alarms" FROM alarms WHERE state = 'acknowledged'""",
                     thresholds=ascending(("green", None), ("orange", 1))),
            sql_stat("Mean time to acknowledge", "From raising to acknowledgement, over "
                     "the alarms raised in the range that were acknowledged.",
                     """SELECT AVG(EXTRACT(EPOCH FROM acked_at - raised_at)) AS "Mean"
                     FROM alarms WHERE acked_at IS NOT NULL AND $__timeFilter(raised_at)""",
                     unit="s", thresholds=ascending(("green", None), ("orange", 900),
                                                    ("red", 3600))),
            sql_stat("Notifications failed", "Notifications in the range that could not "
                     "be delivered after every retry: check the routes' URLs.",
                     """SELECT COUNT(*) AS "Failed" FROM alarm_notifications
                     WHERE status = 'failed' AND $__timeFilter(at)""", thresholds=counted),
            sql_table("Open alarms", "Active, acknowledged and cleared-but-unacknowledged "
                      "alarms, the newest first.", OPEN_ALARMS, width=24,
                      overrides=[{"matcher": {"id": "byName", "options": "Open for"},
                                  "properties": [{"id": "unit", "value": "s"}]}]),
            sql_table("Time to acknowledge", "Each alarm raised in the range and "
                      "acknowledged: by whom and how long it took.",
                      """SELECT raised_at AS "Raised", rule AS "Rule", subject AS "Subject",
                      acked_by AS "Acknowledged by",
                      EXTRACT(EPOCH FROM acked_at - raised_at) AS "Time to acknowledge"
                      FROM alarms WHERE acked_at IS NOT NULL AND $__timeFilter(raised_at)
                      ORDER BY raised_at DESC""",
                      overrides=[{"matcher": {"id": "byName", "options": "Time to acknowledge"},
                                  "properties": [{"id": "unit", "value": "s"}]}]),
            sql_table("Failed notifications", "Each notification that failed in the "
                      "range, with the error the notifier reported.",
                      """SELECT at AS "At", route AS "Route", "group" AS "Group",
                      target AS "Target", title AS "Title", attempts AS "Attempts",
                      error AS "Error" FROM alarm_notifications
                      WHERE status = 'failed' AND $__timeFilter(at) ORDER BY at DESC"""),
        ],
        time_from="now-7d",
    )
