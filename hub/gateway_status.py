"""Gateways as the API shows them: ingest's view of each gateway (its last status and
the serial scanners it reports) with inventory's scanner registry beside it, one row
per scanner, flagged when only one side knows it. The one place the two parts meet
for this page; the route only calls it."""

from __future__ import annotations

from hub.db import Session
from ingest import queries as ingest_queries
from ingest.schemas import GatewayPublic, GatewayScannerPublic
from inventory.scans import registry as scanner_registry
from inventory.scans.schemas import ScannerPublic
from kernel.errors import NotFound


def list_gateways(session: Session) -> list[GatewayPublic]:
    """Every gateway seen (status or telemetry) or with registered scanners."""
    registered: dict[str, list[ScannerPublic]] = {}
    for scanner in scanner_registry.list_scanners(session):
        registered.setdefault(scanner.gateway, []).append(scanner)
    seen = {gateway.id: gateway for gateway in ingest_queries.list_gateways(session)}
    for gateway_id in registered.keys() - seen.keys():
        seen[gateway_id] = ingest_queries.unknown_gateway(gateway_id)
    return [with_registered(seen[key], registered.get(key, [])) for key in sorted(seen)]


def get_gateway(session: Session, gateway_id: str) -> GatewayPublic:
    registered = scanner_registry.list_scanners(session, gateway_id)
    try:
        gateway = ingest_queries.get_gateway(session, gateway_id)
    except NotFound:
        if not registered:
            raise
        gateway = ingest_queries.unknown_gateway(gateway_id)
    return with_registered(gateway, registered)


def with_registered(gateway: GatewayPublic, registered: list[ScannerPublic]) -> GatewayPublic:
    """The gateway with one scanner row per id, registered or reported, and what is
    wrong when only one is true (or its account is deactivated)."""
    by_id = {scanner.scanner: scanner for scanner in registered}
    reported = {row.id: row for row in gateway.scanners}
    rows = []
    for scanner_id in sorted(by_id.keys() | reported.keys()):
        registration, health = by_id.get(scanner_id), reported.get(scanner_id)
        problem = None
        if registration is None:
            problem = "reported by the gateway but not registered: its scans are refused"
        elif health is None:
            problem = "registered, but the gateway's last status does not list it"
        elif not registration.operator_active:
            problem = (f"its account {registration.operator} is deactivated: its scans are "
                       "refused")
        row = (health or GatewayScannerPublic(id=scanner_id, registered=False, reported=False))
        update: dict[str, object] = {"registered": registration is not None, "problem": problem}
        if registration is not None:
            update |= {"operator": registration.operator, "modes": registration.modes,
                       "default_location": registration.location}
        rows.append(row.model_copy(update=update))
    return gateway.model_copy(update={"scanners": rows})
