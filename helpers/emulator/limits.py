"""Azure's documented Identity request limits, enforced per resource: a 429 beyond them.

The numbers are the Identity table of "Service limits for Azure Communication Services"
(LIMITS_URL), read 2026-12-03. Everything the page does not say is the lab's choice, listed in
provenance.py and docs/service-provenance.md:

* a sliding window (the last `window_s` seconds before each request), per operation family and
  per resource (one `Limits` per running service, so per process: two kernels sharing a state
  dir count apart);
* only requests that are authenticated, well-formed and about to run count; a refused one (429,
  400, 401) does not, so a client that waits as long as `Retry-After` says gets through;
* `Retry-After` in whole seconds (rounded up): both SDKs honour it (azure-core's RetryPolicy,
  and @azure/core-rest-pipeline's throttling strategy for 429 and 503).

On by default; `ACS_EMULATOR_THROTTLING=off` (or `acs-emulator serve --throttling off`) turns it
off, for load tests and benchmarks that measure the service rather than Azure's quotas.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import errors

LIMITS_URL = (
    "https://learn.microsoft.com/en-us/azure/communication-services/concepts/service-limits"
)
ENV_VAR = "ACS_EMULATOR_THROTTLING"
SWITCH_VALUES = ("on", "off")


@dataclass(frozen=True)
class Rule:
    """One row of the docs' Identity table: `limit` requests per `window_s` seconds."""

    operation: str  # as the docs page names it
    limit: int
    window_s: float


# Family (what the routes call) -> the documented row. A create with `createTokenWithScopes`
# is the page's "createUserAndToken"; without, "Create identity" (the lab's reading: the page
# lists them as two operations, so they count apart).
RULES: dict[str, Rule] = {
    "create": Rule("Create identity", 1000, 30),
    "create_with_token": Rule("createUserAndToken", 1000, 30),
    "issue": Rule("Issue access token", 1000, 30),
    "delete": Rule("Delete identity", 500, 30),
    "revoke": Rule("Revoke access token", 500, 30),
    "exchange": Rule("exchangeTokens", 500, 30),
}


class ThrottlingSettingError(ValueError):
    """ACS_EMULATOR_THROTTLING holds something other than on/off."""


def throttling_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """The switch: ACS_EMULATOR_THROTTLING unset, "" or "on" -> on; "off" -> off."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off":
        return False
    raise ThrottlingSettingError(
        f"{ENV_VAR} must be 'on' or 'off' (it is {value[:20]!r}); unset it for the default, on"
    )


class Limits:
    """Sliding-window counters, one per operation family, for one resource.

    Used from the service's event-loop thread; the lock only makes direct use from tests and
    other threads safe too. Memory: at most `limit` timestamps per family.
    """

    def __init__(
        self,
        rules: Mapping[str, Rule] | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = dict(RULES if rules is None else rules)
        self.enabled = enabled
        self._clock = clock
        self._seen: dict[str, deque[float]] = {name: deque() for name in self.rules}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> Limits:
        """The documented limits, on unless ACS_EMULATOR_THROTTLING=off."""
        return cls(enabled=throttling_enabled())

    def scaled(self, factor: float) -> Limits:
        """The same limits with every window multiplied by `factor` (for quick tests)."""
        rules = {k: Rule(r.operation, r.limit, r.window_s * factor) for k, r in self.rules.items()}
        return Limits(rules, self.enabled, self._clock)

    def admit(self, family: str) -> None:
        """Count one request of `family`, or raise TooManyRequests (with Retry-After)."""
        if not self.enabled:
            return
        rule = self.rules[family]
        with self._lock:
            now = self._clock()
            seen = self._seen[family]
            while seen and seen[0] <= now - rule.window_s:
                seen.popleft()
            if len(seen) < rule.limit:
                seen.append(now)
                return
            wait = seen[0] + rule.window_s - now
        raise errors.TooManyRequests(
            rule.operation, rule.limit, rule.window_s, max(1, math.ceil(wait))
        )
