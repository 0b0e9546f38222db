"""Sign-in throttling on the shared rate-limit storage: per account and client address, and per address.

Nothing here locks an account for everyone. A client that keeps failing for one e-mail waits (per account and
address); an address that fails across many e-mails waits (per address); when one account fails from many
addresses (a distributed guess), every address that has failed on it waits after its first failure. A person
signing in from an address that has not failed is never affected. The counters are keyed by a digest of the typed e-mail, known or not, so the answer and its
timing are the same for e-mails that belong to nobody.
"""

from __future__ import annotations

import hashlib

from flask import current_app, request
from limits import RateLimitItemPerSecond

from audit_app.extensions import limiter

# Failures of one account from all addresses in the window after which one failure is enough to wait.
ACCOUNT_UNDER_ATTACK = 50


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


class LimiterSignInThrottle:
    """`services.users.SignInThrottle` for the client making this request."""

    def __init__(self, address: str, *, per_account: int, per_address: int, window_seconds: int) -> None:
        self.address = address
        self.pair = RateLimitItemPerSecond(per_account, window_seconds)
        self.by_address = RateLimitItemPerSecond(per_address, window_seconds)
        self.account = RateLimitItemPerSecond(ACCOUNT_UNDER_ATTACK, window_seconds)

    @classmethod
    def for_request(cls) -> "LimiterSignInThrottle":
        config = current_app.config["STORECHECK_CONFIG"]
        return cls(request.remote_addr or "unknown", per_account=config.login_attempts_per_account,
                   per_address=config.login_attempts_per_address, window_seconds=config.login_lockout_seconds)

    def _pair_key(self, email: str) -> tuple[str, ...]:
        return ("sign-in-failures", _digest(email), self.address)

    def _address_key(self) -> tuple[str, ...]:
        return ("sign-in-failures-address", self.address)

    def _account_key(self, email: str) -> tuple[str, ...]:
        return ("sign-in-failures-account", _digest(email))

    def is_blocked(self, email: str) -> bool:
        if not limiter.enabled:
            return False
        strategy = limiter.limiter
        if not strategy.test(self.pair, *self._pair_key(email)):
            return True
        if not strategy.test(self.by_address, *self._address_key()):
            return True
        under_attack = not strategy.test(self.account, *self._account_key(email))
        return under_attack and strategy.get_window_stats(self.pair, *self._pair_key(email)).remaining < \
            self.pair.amount

    def record_failure(self, email: str) -> None:
        if limiter.enabled:
            limiter.limiter.hit(self.pair, *self._pair_key(email))
            limiter.limiter.hit(self.by_address, *self._address_key())
            limiter.limiter.hit(self.account, *self._account_key(email))

    def record_success(self, email: str) -> None:
        # They proved they know the password: their own earlier slips for this account no longer count.
        if limiter.enabled:
            limiter.limiter.clear(self.pair, *self._pair_key(email))
