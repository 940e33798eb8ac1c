"""The alarm rules of the alarm service (alerts/service.py): read at start from the
rules file or from SQL, shown with recipients' URLs masked, replaced or edited over the
API (stored with their audit row, the leader told to reload them when a standby took
the edit), and the hub's settings applied as their defaults (site time zone, excursion
tolerance). A part of `AlarmService`, kept apart so each module stays readable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from alerts import handover, repository
from alerts.notifications.senders import Sender
from alerts.rules.document import AlarmRules, load_rules, parse_rules
from alerts.rules.url_secrets import UnknownMaskedUrl, mask_recipients, restore_urls
from alerts.settings import AlarmSettings
from alerts.sources import World
from contract.errors import ConfigError
from kernel.actors import Actor
from kernel.errors import Conflict, Invalid
from kernel.leader import Leadership
from kernel.signatures import Signer
from kernel.uow import Done, Idempotency

if TYPE_CHECKING:
    from alerts.engine.evaluator import Evaluator

RULES_KEY = "rules"  # the rules document's key among the alarm settings in SQL


class RulesEditing:
    # Set by AlarmService.__init__.
    settings: AlarmSettings
    sessions: sessionmaker[Session]
    sender: Sender
    clock: Callable[[], datetime]
    leadership: Leadership | None
    evaluator: Evaluator | None
    rules: AlarmRules
    declared_rules: AlarmRules
    rules_name: str
    _world: World | None
    _lock: threading.RLock

    def reconcile(self, *, readings: bool = True) -> None:
        raise NotImplementedError  # AlarmService's

    @property
    def rules_from_file(self) -> bool:
        return self.settings.rules_file is not None

    def load_rules(self) -> None:
        """Read and validate the rules; ConfigError (file: field: reason) refuses the start."""
        schemes = self.sender.schemes()
        if self.settings.rules_file is not None:
            rules = load_rules(self.settings.rules_file, known_schemes=schemes)
            self.rules_name = self.settings.rules_file.name
        else:
            with self.sessions() as session:
                document = repository.get_setting(session, RULES_KEY)
            rules = parse_rules(document or {}, "rules", known_schemes=schemes)
        self.declared_rules = rules
        self.rules = self._with_settings(rules)

    def _with_settings(self, rules: AlarmRules) -> AlarmRules:
        update: dict[str, Any] = {}
        if self.settings.site_timezone and "site_timezone" not in rules.model_fields_set:
            update["site_timezone"] = self.settings.site_timezone
        if "excursion_tolerance" not in rules.defaults.model_fields_set:
            update["defaults"] = rules.defaults.model_copy(update={
                "excursion_tolerance": timedelta(seconds=self.settings.excursion_tolerance_s)})
        return rules.model_copy(update=update) if update else rules

    def rules_document(self) -> dict[str, Any]:
        """The rules as written, in the file's notation (durations as "5m"), so that
        they can be sent back as they are; recipients' URLs masked, for every role."""
        return mask_recipients(self.declared_rules.model_dump(mode="json",
                                                              exclude_defaults=True))

    def replace_rules(self, document: dict[str, Any], by: Actor,
                      idem: Idempotency | None = None, reason: str | None = None,
                      signer: Signer | None = None) -> Done[dict[str, Any]]:
        if self.rules_from_file:
            raise Conflict("the rules come from %(file)s: edit the file and restart",
                           code="rules_from_file", file=self.rules_name)
        stored = [(name, index, url) for name, group in self.declared_rules.recipients.items()
                  for index, url in enumerate(group.urls)]
        try:
            # A URL sent back masked as GET showed it keeps the stored one.
            document = restore_urls(document, stored)
            rules = parse_rules(document, "rules", known_schemes=self.sender.schemes())
        except UnknownMaskedUrl as exc:
            raise Invalid("rules: %(problem)s", code="invalid_rules", problem=str(exc)) from None
        except ConfigError as exc:
            raise Invalid(str(exc), code="invalid_rules") from None
        with self.sessions() as session:
            done = repository.put_rules(session, RULES_KEY, document, self.clock(), by,
                                        reason, idem, signer)
        with self._lock:
            self.declared_rules = rules
            self.rules = self._with_settings(rules)
            self._world = None  # rebuild the rule book at once
            if self.evaluator is not None:
                self.reconcile(readings=False)
        if self.evaluator is None and self.leadership is not None:
            # The leader reloads them from SQL.
            handover.ask_reload(self.sessions, self.clock, by.username)
        return done

    def reload_rules(self) -> None:
        """The rules again from SQL (edited through a standby process)."""
        with self._lock:
            self.load_rules()
            self._world = None
            self.reconcile(readings=False)

    def edit_rules(self, edit: Callable[[dict[str, Any]], dict[str, Any]], by: Actor,
                   idem: Idempotency | None = None, reason: str | None = None,
                   signer: Signer | None = None) -> Done[dict[str, Any]]:
        """One edit (add or remove a rule) of the document kept in SQL."""
        if self.rules_from_file:
            raise Conflict("the rules come from %(file)s: edit the file and restart",
                           code="rules_from_file", file=self.rules_name)
        with self.sessions() as session:
            document = repository.get_setting(session, RULES_KEY) or {}
        return self.replace_rules(edit(document), by, idem, reason, signer)
