"""How each kind of fetch failure counts, decided once for the fetcher, the judge and the
outage rule alike.

For every kind: whether trying again can help (the fetcher retries), which outcome the URL
gets (the judge), and whether it says more about our side of the network than about the page
(the outage rule: when most URLs fail that way, the run judges nothing).

An unknown host is `broken`: a URL whose name no longer resolves is one the catalogue should
not keep. It is not retried (the resolver answered; it did not time out), and it counts
towards an outage, so a machine without DNS is one outage rather than every link broken:
one dead domain among working ones is a broken link, all of them at once is our network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What a URL's fetch means for the catalogue (see the README's table)."""

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    BLOCKED = "blocked"
    ERROR = "error"


class FetchErrorKind(StrEnum):
    TIMEOUT = "timeout"
    CONNECT = "connect"
    DNS = "dns"
    TLS = "tls"
    NETWORK = "network"
    """The connection broke after it was made (reset while sending or reading)."""
    PROTOCOL = "protocol"
    """The server answered something that is not valid HTTP, or a body that does not decode."""
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    DEADLINE = "deadline"
    INVALID_URL = "invalid_url"
    NON_PUBLIC_ADDRESS = "non_public_address"
    """The URL, a redirect or a DNS answer leads to a loopback, private, link-local or
    reserved address that no `--remap` rule named: refused, never fetched."""


@dataclass(frozen=True, slots=True)
class FailurePolicy:
    retryable: bool
    outcome: Outcome
    counts_towards_outage: bool


_P = FailurePolicy
FAILURES: dict[FetchErrorKind, FailurePolicy] = {
    FetchErrorKind.TIMEOUT: _P(retryable=True, outcome=Outcome.ERROR, counts_towards_outage=True),
    FetchErrorKind.CONNECT: _P(retryable=True, outcome=Outcome.ERROR, counts_towards_outage=True),
    FetchErrorKind.NETWORK: _P(retryable=True, outcome=Outcome.ERROR, counts_towards_outage=True),
    FetchErrorKind.DNS: _P(retryable=False, outcome=Outcome.BROKEN, counts_towards_outage=True),
    FetchErrorKind.TLS: _P(retryable=False, outcome=Outcome.ERROR, counts_towards_outage=True),
    FetchErrorKind.DEADLINE: _P(retryable=False, outcome=Outcome.ERROR, counts_towards_outage=True),
    FetchErrorKind.PROTOCOL: _P(
        retryable=False, outcome=Outcome.ERROR, counts_towards_outage=False
    ),
    FetchErrorKind.REDIRECT_LOOP: _P(
        retryable=False, outcome=Outcome.BROKEN, counts_towards_outage=False
    ),
    FetchErrorKind.TOO_MANY_REDIRECTS: _P(
        retryable=False, outcome=Outcome.BROKEN, counts_towards_outage=False
    ),
    FetchErrorKind.INVALID_URL: _P(
        retryable=False, outcome=Outcome.BROKEN, counts_towards_outage=False
    ),
    FetchErrorKind.NON_PUBLIC_ADDRESS: _P(
        retryable=False, outcome=Outcome.BROKEN, counts_towards_outage=False
    ),
}
assert set(FAILURES) == set(FetchErrorKind), "every failure kind has its policy"
