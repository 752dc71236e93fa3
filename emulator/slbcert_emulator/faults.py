"""Injected faults: rules posted to the admin API, each firing a number of times.

Each kind fires where it would happen in the real system: the gateway's (delay, dropped
connection, HTTML 414) before authentication, the service's transient errors after it (so the
request's nonce is spent, and a retry must be signed afresh), drop-after-commit once the
operation is stored. The load-balancer kinds fire inside the operation: a busy window opened by a
committed change of an instance, a reference that lingers after a certificate is unbound, the
HealthCheckDomain reset of a Set call, and a stall while the transaction is open.
"""

import threading
from dataclasses import asdict, dataclass

from . import errors

BEFORE_AUTH, AFTER_AUTH, AFTER_COMMIT = "before-auth", "after-auth", "after-commit"
# Stages inside an operation (clb.py takes these rules itself).
ON_MUTATION, ON_UNBIND, ON_SET_LISTENER, BEFORE_COMMIT = (
    "on-mutation", "on-unbind", "on-set-listener", "before-commit")

STAGES = {
    "delay": BEFORE_AUTH,
    "drop-before": BEFORE_AUTH,
    "html-414": BEFORE_AUTH,
    "throttle": AFTER_AUTH,
    "unavailable": AFTER_AUTH,
    "internal": AFTER_AUTH,
    "busy": AFTER_AUTH,
    "domain-extension-processing": AFTER_AUTH,
    "drop-after-commit": AFTER_COMMIT,
    "busy-window": ON_MUTATION,
    "linger-reference": ON_UNBIND,
    "healthcheck-domain-reset": ON_SET_LISTENER,
    "stall-before-commit": BEFORE_COMMIT,
}

ERRORS = {
    "throttle": errors.throttling,
    "unavailable": errors.service_unavailable,
    "internal": errors.internal_error,
    "busy": errors.system_busy,
    "domain-extension-processing": errors.domain_extension_processing,
}

DOMAIN_EXTENSION_CHANGES = frozenset({"CreateDomainExtension", "SetDomainExtensionAttribute",
                                      "DeleteDomainExtension"})
# A kind listed here fires only on these actions, whatever the rule's action says.
ONLY_ON = {
    "domain-extension-processing": DOMAIN_EXTENSION_CHANGES,
    "healthcheck-domain-reset": frozenset({"SetLoadBalancerHTTPSListenerAttribute"}),
}
NEEDS_DURATION = frozenset({"busy-window", "linger-reference"})
NEEDS_DELAY = frozenset({"stall-before-commit"})

MAX_DELAY_MS = 10 * 60 * 1000


def _count(rule, name, default, limit=None):
    value = rule.get(name, default)
    if (isinstance(value, bool) or not isinstance(value, int) or value < 0
            or (limit is not None and value > limit)):
        raise ValueError(f"{name} must be an integer from 0" + (f" to {limit}" if limit else ""))
    return value


@dataclass
class Rule:
    action: str
    fault: str
    times: int = 1
    delay_ms: int = 0
    retry_after_ms: int = None
    duration_ms: int = None  # busy-window and linger-reference: how long the state lasts

    @classmethod
    def from_json(cls, rule):
        if not isinstance(rule, dict):
            raise ValueError("each fault rule must be an object")
        unknown = set(rule) - {"action", "fault", "times", "delay_ms", "retry_after_ms", "duration_ms"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        action, fault = rule.get("action", "*"), rule.get("fault")
        if not isinstance(action, str) or not action:
            raise ValueError("action must be an action name or \"*\"")
        if not isinstance(fault, str) or fault not in STAGES:
            raise ValueError(f"fault must be one of {sorted(STAGES)}")
        retry_after = rule.get("retry_after_ms")
        duration = rule.get("duration_ms")
        if fault in NEEDS_DURATION:
            if duration is None:
                raise ValueError(f"a {fault} rule needs duration_ms")
            duration = _count(rule, "duration_ms", 0, MAX_DELAY_MS)
        elif duration is not None:
            raise ValueError(f"duration_ms applies to {sorted(NEEDS_DURATION)} only")
        delay = _count(rule, "delay_ms", 0, MAX_DELAY_MS)
        if fault in NEEDS_DELAY and not delay:
            raise ValueError(f"a {fault} rule needs delay_ms")
        return cls(action, fault, _count(rule, "times", 1), delay,
                   None if retry_after is None else _count(rule, "retry_after_ms", 0), duration)

    def to_json(self):
        return {k: v for k, v in asdict(self).items() if v is not None}

    def matches(self, action, stage):
        return (STAGES[self.fault] == stage and self.action in ("*", action)
                and action in ONLY_ON.get(self.fault, (action,)))


class FaultPlan:
    """The pending rules, first posted first fired."""

    def __init__(self, on_fire=None):
        self._lock = threading.Lock()
        self._rules = []
        self._on_fire = on_fire  # counts every fired rule (the admin API's stats)

    def replace(self, rules):
        with self._lock:
            self._rules = [r for r in rules if r.times > 0]

    def pending(self):
        with self._lock:
            return [r.to_json() for r in self._rules]

    def take(self, action, stage):
        """Fire the first rule for this action and stage, if any, and return it."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(action, stage):
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    break
            else:
                return None
        if self._on_fire is not None:
            self._on_fire(rule.fault)
        return rule
