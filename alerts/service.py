"""The alarm service: the evaluator with its IO around it.

- At start: the rules (the file, else those stored over the API), the world
  (zones, sensors, gateways) with a reference check (warnings, rule inactive),
  the open alarms restored from SQL into the evaluator and the notification
  planner (a restart neither forgets an alarm nor tells anyone twice), then a
  reconcile from SQL (latest readings, gateway statuses, stock).
- Fed by ingest's hooks (`on_readings`, `on_status`), the stock hook
  (`on_stock_change`, which only sets an event) and its own timer thread (ticks for
  offline and delays, a periodic reconcile, expiry and stock checks, the digest).
- Each batch of transitions is stored (alarm rows and audit rows in one
  transaction), then published on MQTT and handed to the notification worker.
  A critical excursion past the zone's tolerance holds the zone's lots.
- Told by the hub's MQTT subscribers when the broker took their session or kept
  none (`on_broker_session`): a critical system alarm per client id, cleared
  when its subscriptions are granted again.
- Checks the audit trail's newest rows at start and every `audit_check_s`
  (`check_audit_chain`): a critical system alarm, not shelvable, while they do not
  verify.
- Sends the supervisors' test alarms and judges when one is due (`tests`,
  alerts/challenge/service.py): through the same dispatcher as the alarms.

One lock serialises the evaluator: hook thread, timer thread and API requests.

Several hub processes on PostgreSQL: each has an AlarmService, one leads
(`leadership`, kernel/leader.py) and runs the evaluator; the others stand by with
none, hand operators' actions to the leader (alerts/handover.py) and take over
when it dies, resuming from SQL (open alarms and the notices claimed,
`alarm_notices`). Every store and every send is fenced by `leads()`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from alerts import handover, repository
from alerts.challenge.service import AlarmTests
from alerts.engine.calibration_findings import calibration_findings
from alerts.engine.evaluator import Evaluator, Outcome
from alerts.engine.findings import (
    AUDIT_CHAIN,
    AUDIT_TRAIL,
    BROKER_SESSION,
    CALIBRATION_KINDS,
    NOT_SHELVABLE,
    STOCK_KINDS,
    SYSTEM_KINDS,
    FindingAlarms,
)
from alerts.metrics import AlarmMetrics
from alerts.model import (
    Acknowledge,
    AlarmKey,
    AlarmKind,
    GatewayStatus,
    Phase,
    Reading,
    Severity,
    Shelve,
    Tick,
)
from alerts.model import Unshelve as UnshelveObs
from alerts.notifications.dispatch import Dispatcher
from alerts.notifications.plan import OpenAlarm, PlanState, plan, resume
from alerts.notifications.senders import Sender
from alerts.publisher import AlarmPublisher
from alerts.rules.book import RuleBook
from alerts.rules.document import AlarmRules, check_references
from alerts.rules_editing import RulesEditing
from alerts.schemas import AlarmPublic
from alerts.settings import AlarmSettings
from alerts.sources import AlarmSources, World
from contract.worker import Worker
from kernel.clock import utcnow
from kernel.errors import Busy, Conflict
from kernel.i18n_text import Text
from kernel.leader import Leadership
from kernel.signatures import Signer
from kernel.uow import Done, Idempotency

log = logging.getLogger(__name__)

# How often closed grouping windows are flushed, whatever the evaluator's tick: a
# message waits at most this long beyond its window.
FLUSH_S = 0.2
NEVER = datetime.min.replace(tzinfo=UTC)
# Closed alarms remembered for the messages still in a grouping window.
CLOSED_KEPT = 10_000


class AlarmService(RulesEditing):
    def __init__(self, settings: AlarmSettings, sessions: sessionmaker[Session],
                 sources: AlarmSources, sender: Sender, metrics: AlarmMetrics, *,
                 publisher: AlarmPublisher | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.sessions = sessions
        self.sources = sources
        self.sender = sender
        self.metrics = metrics
        self.publisher = publisher
        self.clock = clock
        self.dispatcher = Dispatcher(settings, sessions, sender, metrics, clock, self._bump,
                                     may_send=self.leads)
        # Set by the composition root when several processes may lead (PostgreSQL);
        # None: this process alone runs the engine (SQLite, or one process).
        self.leadership: Leadership | None = None
        self.rules = AlarmRules()
        self.declared_rules = AlarmRules()  # as written: without the settings' defaults
        self.rules_name = "rules"
        self.evaluator: Evaluator | None = None
        self.findings = FindingAlarms()
        self.system = FindingAlarms()  # SYSTEM_KINDS, reported by the hub itself
        self.calibration = FindingAlarms()  # CALIBRATION_KINDS, judged with the stock
        # client id -> the last word of that subscriber about its broker session, kept
        # from before start() too (ingest connects first) and applied once running.
        self._broker_sessions: dict[str, str | None] = {}
        self._plan = PlanState()
        self._ids: dict[AlarmKey, int] = {}
        # Alarms closed lately (acknowledged, then cleared), by key: the clear's message
        # may leave after its grouping window and must still name and link its alarm.
        self._closed_ids: dict[AlarmKey, int] = {}
        self._world: World | None = None
        self._warned: set[str] = set()
        self._seen: dict[str, datetime] = {}
        self._status_seen: dict[str, datetime] = {}
        self._lock = threading.RLock()
        self._stock_changed = threading.Event()
        self._timer = Worker("alarms", self._timer_round,
                             idle_s=min(settings.tick_s, FLUSH_S))
        # When the timer last ticked, reconciled, checked the stock and the audit trail.
        self._tick_at = self._reconcile_at = self._stock_at = self._audit_at = 0.0
        self.version = 0  # bumped at every stored change: the live feed's cheap check
        self.last_error: str | None = None
        self.on_stop: list[Callable[[], None]] = []  # e.g. unsubscribe from the stock hook
        # Test alarms through the routes and the reminder when one is due (alerts/challenge/).
        self.tests = AlarmTests(self, settings.alarm_test_interval_days)

    # --- start and stop ----------------------------------------------------------------

    def leads(self) -> bool:
        """The fence: this process may evaluate, store and send."""
        return self.leadership is None or self.leadership.holds()

    def start(self) -> None:
        self.dispatcher.start()
        if self.publisher is not None:
            self.publisher.start()
        if self.leadership is None:
            self._begin()
        else:
            self.leadership.on_elected, self.leadership.on_deposed = self._begin, self._end
            self.leadership.start()
            log.info("alarm service standing by for the lead", extra={"rules": self.rules_name})

    def _begin(self) -> None:
        """Run the engine: from SQL, as after a restart (also when elected leader)."""
        self._timer.halt(5)
        # A new thread object: a round of the last term still hung on the database ends
        # by itself instead of being woken again by this start.
        self._timer = Worker("alarms", self._timer_round,
                             idle_s=min(self.settings.tick_s, FLUSH_S))
        self.dispatcher.term = (self.leadership.term if self.leadership is not None
                                else None) or uuid.uuid4().hex
        self._ids, self._seen, self._status_seen = {}, {}, {}
        self.findings, self.system = FindingAlarms(), FindingAlarms()
        now = self.clock()
        world = self.sources.world()
        self.evaluator = Evaluator(self._book(world), started=now, gateways=world.gateways)
        self._world = world
        self._restore(now)
        with self._lock:
            for client_id, problem in self._broker_sessions.items():
                self._broker_session(client_id, problem, now)
            self.flush(now)  # what the last leader stored and never told
        self.reconcile()
        self.check_stock()
        self.check_audit_chain()
        self.tests.check_reminder()
        self._tick_at = self._reconcile_at = self._stock_at = time.monotonic()
        self._audit_at = self._tick_at
        self._timer.start()
        log.info("alarm service started", extra={
            "rules": self.rules_name, "open_alarms": len(self._ids),
            "thresholds": len(self.rules.thresholds), "routes": len(self.rules.routes)})

    def _end(self) -> None:
        """Stop evaluating (deposed): nothing more is stored or sent from here."""
        self._timer.halt(5)
        with self._lock:
            self.evaluator = None
            self._ids = {}
            self.dispatcher.drop()  # claimed and unsent: the next leader sends them

    def stop(self) -> None:
        for undo in self.on_stop:
            undo()
        self._timer.stop(timeout=10)
        self.dispatcher.stop()  # still leading: what was queued goes out
        if self.leadership is not None:
            self.leadership.stop()
        if self.publisher is not None:
            self.publisher.stop()

    def health(self) -> dict[str, dict[str, object]]:
        leadership = self.leadership
        if leadership is None:
            running = self._timer.alive and not self.last_error
            role = "single"  # SQLite or one process: this process runs the engine alone
        elif leadership.holds():
            running = self._timer.alive and not self.last_error
            role = "leader"
        elif leadership.leads:  # no good check of the lock for a while: stopped, waiting
            running, role = False, "fenced"
        else:
            running = leadership.alive and not leadership.last_error
            role = "standby"
        return {"alarms": {"ok": running, "open": len(self._ids), "rules": self.rules_name,
                           "last_error": self.last_error, "role": role,
                           "leader": role in ("leader", "single")}}

    def _book(self, world: World) -> RuleBook:
        check = check_references(self.rules, self.rules_name, zones=[z.code for z in world.zones],
                                 sensors=[s.id for s in world.sensors],
                                 storage_classes=[c.code for c in world.storage_classes])
        for warning in check.warnings:
            if str(warning) not in self._warned:
                self._warned.add(str(warning))
                log.warning("alarm rule inactive: %s", warning, extra={
                    "file": warning.file, "field": warning.field, "reason": warning.reason})
        return RuleBook(self.rules, sensors=world.sensors, zones=world.zones,
                        storage_classes=world.storage_classes)

    def _restore(self, now: datetime) -> None:
        assert self.evaluator is not None
        with self.sessions() as session:
            alarms = repository.open_alarms(session)
        planned = []
        with self.sessions() as session:
            told = handover.told_by_route(alarms, repository.told(session, [a.id for a in alarms]))
        for alarm in alarms:
            state, kind = repository.alarm_state(alarm), repository.alarm_kind(alarm)
            self._ids[alarm.key] = alarm.id
            if kind in STOCK_KINDS:
                self.findings.restore(alarm.key, kind, state, alarm.zone)
                continue
            if kind in SYSTEM_KINDS or kind in CALIBRATION_KINDS:
                (self.system if kind in SYSTEM_KINDS else self.calibration).restore(
                    alarm.key, kind, state, alarm.zone)
            else:
                self.evaluator.restore(alarm.key, kind, state)
            planned.append(OpenAlarm(alarm.key, kind, state.severity, alarm.zone,
                                     alarm.raised_at, alarm.state == "acknowledged",
                                     alarm.message, alarm.cleared_at
                                     if alarm.state == "cleared" else None))
        self._plan = resume(self.rules, planned, now, told)

    # --- feeding -----------------------------------------------------------------------

    def on_readings(self, readings: Sequence[Reading]) -> None:
        """The ingest hook: a committed batch's fresh readings. A reading no newer than
        the sensor's last one evaluated (seen already through the reconcile, or an
        edge replaying its outbox after an outage) is history: the evaluator judges
        the present, in order."""
        if self.evaluator is None or not readings:
            return
        with self._lock:
            started = time.thread_time()
            seen = self._seen
            newer = []
            for reading in readings:
                last = seen.get(reading.sensor)
                if last is None or reading.ts > last:
                    seen[reading.sensor] = reading.ts
                    newer.append(reading)
            out = self.evaluator.feed_readings(newer)
            self.metrics.evaluated(len(newer), time.thread_time() - started)
            if out:
                self._apply(out)

    def on_status(self, status: GatewayStatus) -> None:
        if self.evaluator is None:
            return
        with self._lock:
            self._status_seen[status.gateway] = status.ts
            out = self.evaluator.feed(status)
            if out:
                self._apply(out)

    def on_broker_session(self, client_id: str, problem: str | None,
                          template: str | None = None) -> None:
        """An MQTT subscriber of this hub: the broker took its session or kept none
        (`problem`), or its subscriptions are granted again (None). On paho's thread."""
        if template:  # the message in each reader's language (contract/mqtt_client.py)
            problem = Text(template, client_id=client_id)
        with self._lock:
            self._broker_sessions[client_id] = problem
            if self.evaluator is not None:
                self._broker_session(client_id, problem, self.clock())

    def _broker_session(self, client_id: str, problem: str | None, now: datetime) -> None:
        message = problem or Text(
            "the hub's broker session %(client_id)s is subscribed again; readings and scans "
            "published while it was lost may be missing", client_id=client_id)
        found = self.system.report(AlarmKey(BROKER_SESSION, client_id), AlarmKind.BROKER_SESSION,
                                   Severity.CRITICAL if problem else None, message, now)
        if found:
            self._apply(Outcome(transitions=found), now)

    def check_audit_chain(self, now: datetime | None = None) -> None:
        """The audit trail's newest rows verified: a critical alarm while they do not
        match, cleared when they do again."""
        try:
            problem = self.sources.audit_chain()
        except Exception as exc:  # a check that cannot run is no verdict on the chain
            log.error("checking the audit trail failed", extra={"error": str(exc)})
            return
        now = now or self.clock()
        message = (Text("the audit trail does not verify: %(problem)s; run `stockwarden audit "
                        "verify` and investigate", problem=problem) if problem else
                   Text("the audit trail's newest rows verify again"))
        with self._lock:
            found = self.system.report(AlarmKey(AUDIT_CHAIN, AUDIT_TRAIL), AlarmKind.AUDIT_CHAIN,
                                       Severity.CRITICAL if problem else None, message, now)
            if found:
                if problem:
                    log.critical("audit trail tampered", extra={"problem": problem})
                self._apply(Outcome(transitions=found), now)

    def on_stock_change(self, _change: object = None) -> None:
        """Inventory's hook, on the request thread: only wake the timer."""
        self._stock_changed.set()

    def tick(self, now: datetime | None = None) -> None:
        if self.evaluator is None:
            return
        with self._lock:  # the time read once the lock is held: not older than a reading
            now = now or self.clock()
            started = time.thread_time()
            out = self.evaluator.feed(Tick(now))
            self.metrics.evaluated(0, time.thread_time() - started)
            self._apply(out, now)
            self.dispatcher.digest(self.rules, self.findings.current, now)

    def reconcile(self, *, readings: bool = True) -> None:
        """From SQL: the world (new zones, sensors), the readings and statuses newer
        than what the evaluator saw (the hooks may have dropped some)."""
        world = self.sources.world()
        latest = self.sources.latest_readings() if readings else ()
        statuses = self.sources.gateway_statuses()
        with self._lock:
            assert self.evaluator is not None
            if world != self._world:
                self.evaluator.use_rules(self._book(world), self.clock())
                self._world = world
            self.on_readings(latest)  # only those newer than what was seen
            for status in statuses:
                if status.ts > self._status_seen.get(status.gateway, NEVER):
                    self.on_status(status)

    def check_stock(self, now: datetime | None = None) -> None:
        now = now or self.clock()
        picture = self.sources.stock()
        sensors = self.sources.calibration()
        with self._lock:
            today = now.astimezone(self.rules.tz).date()
            found = self.findings.judge(self.rules, picture.lots, picture.items, today, now)
            found += self.calibration.settle(
                calibration_findings(self.rules.calibration, sensors, today), now)
            if found:
                self._apply(Outcome(transitions=found), now)

    def flush(self, now: datetime | None = None) -> None:
        """Only the planner: grouping windows that closed go out. Cheap (no sensor is
        walked), so it runs more often than the evaluator's tick."""
        now = now or self.clock()
        if not self.leads():
            return
        with self._lock:
            self._plan, messages = plan(self.rules, self._plan, [], now,
                                         self.settings.language)
            self.dispatcher.send(self.rules, messages, self._alarm_id)

    def _timer_round(self) -> None:
        """Every min(tick, FLUSH_S): tick or flush, reconcile, check stock when due."""
        settings = self.settings
        try:
            now = time.monotonic()
            if now - self._tick_at >= settings.tick_s:
                self._tick_at = now
                self.tick()
            else:
                self.flush()
            if now - self._reconcile_at >= settings.reconcile_s:
                self._reconcile_at = now
                self.reconcile()
            if self._stock_changed.is_set() or now - self._stock_at >= settings.stock_check_s:
                self._stock_changed.clear()
                self._stock_at = now
                self.check_stock()
            if now - self._audit_at >= settings.audit_check_s:
                self._audit_at = now
                self.check_audit_chain()
            self.tests.round()
            handover.serve_requests(self)
            self.last_error = None
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("alarm timer round failed; trying again next tick")

    # --- the operator ---------------------------------------------------------------------

    def _open(self, alarm_id: int) -> AlarmPublic:
        from alerts import queries

        with self.sessions() as session:
            alarm = queries.get_alarm(session, alarm_id).alarm
        if alarm.state == "closed":
            raise Conflict("alarm %(alarm_id)s is closed", code="alarm_closed", alarm_id=alarm_id)
        return alarm

    def operate(self, alarm_id: int, action: str, *, by: str, comment: str = "",
                until: datetime | None = None, idem: Idempotency | None = None,
                signer: Signer | None = None) -> Done[list[repository.StoredTransition]]:
        """acknowledge, shelve or unshelve one alarm, as `by`; an acknowledgement
        signed by `signer` (kernel/signatures.py)."""
        if self.evaluator is None and self.leadership is not None:
            return handover.forward(self, alarm_id, action, by=by, comment=comment,
                                    until=until, idem=idem, signer=signer)
        if self.evaluator is None:
            raise Busy("the alarm engine is not running", code="alarms_not_running")
        alarm = self._open(alarm_id)
        now = self.clock()
        with self._lock:
            kind = repository.alarm_kind(alarm)
            if action == "shelve" and kind in NOT_SHELVABLE:
                raise Conflict("a %(kind)s alarm cannot be shelved", code="not_shelvable",
                               kind=kind.value.replace("_", " "))
            if kind in STOCK_KINDS or kind in SYSTEM_KINDS or kind in CALIBRATION_KINDS:
                findings = (self.findings if kind in STOCK_KINDS else
                            self.system if kind in SYSTEM_KINDS else self.calibration)
                found = findings.operate(alarm.key, action, by=by, now=now,
                                         comment=comment, until=until)
            else:
                obs: Acknowledge | Shelve | UnshelveObs
                if action == "acknowledge":
                    obs = Acknowledge(alarm.key, now, by, comment)
                elif action == "shelve":
                    obs = Shelve(alarm.key, now, until or now, by, comment)
                else:
                    obs = UnshelveObs(alarm.key, now, by)
                found = self.evaluator.feed(obs).transitions
            shelf = {alarm.key: until} if until is not None else None
            return self._apply(Outcome(transitions=found), now, idem=idem, require=True,
                               shelved_until=shelf, signer=signer)

    def pending(self) -> list[tuple[AlarmKey, datetime | None, str]]:
        """Conditions inside their delay: not alarms yet, shown for the live page."""
        if self.evaluator is None:
            return []
        with self._lock:
            return [(key, state.since, state.severity.value)
                    for key, state in self.evaluator.open_alarms()
                    if state.phase is Phase.PENDING]

    # --- carrying out what the evaluator decided ------------------------------------------

    def _apply(self, out: Outcome, now: datetime | None = None, *,
               idem: Idempotency | None = None, require: bool = False,
               shelved_until: dict[AlarmKey, datetime] | None = None,
               signer: Signer | None = None) -> Done[list[repository.StoredTransition]]:
        now = now or self.clock()
        # A late check of the lock fences this process until it comes in; what the engine
        # found meanwhile is waited on, not dropped (its state already counts it).
        if not self.leads() and not (self.leadership is not None
                                     and self.leadership.holds_within(self.leadership.fence_s)):
            if require:
                raise Busy("this hub process no longer leads the alarm engine",
                           code="alarms_not_leading")
            log.warning("alarm transitions not stored: this process no longer leads",
                        extra={"transitions": len(out.transitions)})
            return Done([])
        with self.sessions() as session:
            done = repository.record(session, out.transitions, idem=idem, require=require,
                                shelved_until=shelved_until, signer=signer)
            if out.excursions and self.evaluator is not None:
                repository.record_excursions(session, out.excursions, {
                    e.excursion.zone: self.evaluator.book.tolerance(e.excursion.zone)
                    for e in out.excursions})
        for hold in out.holds:
            self._hold(hold)
        for recorded in done.value or []:
            alarm = recorded.alarm
            event = recorded.transition.event.value
            log.log(logging.WARNING if event in ("raised", "escalated") else logging.INFO,
                    "alarm %s %s: %s", alarm.id, event, recorded.transition.message, extra={
                        "alarm": alarm.id, "event": event, "severity": alarm.severity,
                        "zone": alarm.zone, "state": alarm.state})
            self._ids[alarm.key] = alarm.id
            if alarm.state == "closed":
                self._ids.pop(alarm.key, None)
                self._closed(alarm.key, alarm.id)
            if self.publisher is not None:
                self.publisher.publish(alarm, recorded.transition.event.value)
        if done.value:
            self._bump()
        ids = {r.alarm.key: r.alarm.id for r in done.value or []}
        transitions = [t for t in out.transitions if t.kind not in STOCK_KINDS]
        self._plan, messages = plan(self.rules, self._plan, transitions, now,
                                     self.settings.language)
        self.dispatcher.send(self.rules, messages, lambda key: ids.get(key) or self._alarm_id(key))
        return done

    def _alarm_id(self, key: AlarmKey) -> int | None:
        """The open alarm of `key`, else the one closed last (its clear is still told)."""
        return self._ids.get(key) or self._closed_ids.get(key)

    def _closed(self, key: AlarmKey, alarm_id: int) -> None:
        self._closed_ids.pop(key, None)
        self._closed_ids[key] = alarm_id
        if len(self._closed_ids) > CLOSED_KEPT:  # the oldest first: dicts keep order
            del self._closed_ids[next(iter(self._closed_ids))]

    def _hold(self, hold: Any) -> None:
        try:
            lots = self.sources.hold_lots(hold.zone, hold.reason)
        except Exception as exc:
            log.error("holding the lots of a zone failed", extra={"zone": hold.zone,
                                                                  "error": str(exc)})
            lots = []
        with self.sessions() as session:
            excursion = repository.link_hold(session, hold, lots)
        log.warning("lots on hold after a critical excursion", extra={
            "zone": hold.zone, "lots": list(lots), "excursion": excursion})

    def _bump(self) -> None:
        self.version += 1  # read without a lock by the live feed: a hint, not a count
