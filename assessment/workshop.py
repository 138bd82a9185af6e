"""Live workshop: join codes, vote aggregation, consensus and rate limiting. Pure: no I/O.

A vote is one choice per participant and question: a level "0"–"4", "na" (not applicable) or
"unknown" (don't know). Only level votes count towards the median and the spread; N/A and
"don't know" are shown in the distribution beside them. The storage shell (`Store.cast_vote`,
`Store.votes_for`, ...) keeps the votes; the pages and the PDF call `summarise`/`vote_summary`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import secrets
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assessment.questionnaire import LEVEL_COUNT

# No 0/O, 1/I/L: a code read off a projector or typed on a phone is not mistyped.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 codes: JOIN_FAILURE_BUDGET guesses find one with odds below 1e-9

NA = "na"
UNKNOWN = "unknown"
LEVEL_CHOICES = tuple(str(i) for i in range(LEVEL_COUNT))
CHOICES = (*LEVEL_CHOICES, NA, UNKNOWN)
DISAGREEMENT_RANGE = 2  # levels between the lowest and the highest vote that call for discussion

JOIN_LIMIT = 10  # failed join attempts per client key ...
JOIN_WINDOW = dt.timedelta(minutes=1)  # ... in this window
# Wrong codes from every client together, counted from the moment a workshop's doors opened: past this
# budget its code admits nobody (so guessing ends there) until the facilitator reopens the doors, which
# draws a new code. 500 guesses over 31**8 codes succeed with odds of 6e-10.
JOIN_FAILURE_BUDGET = 500
JOINS_PER_CLIENT = 3  # participants one client address may add to one workshop (a phone and two spares)
# A room whose phones reach the server through one address (a guest Wi-Fi behind NAT) needs more.
JOINS_PER_ADDRESS_ENV = "ASSESSMENT_JOINS_PER_ADDRESS"
JOIN_ATTEMPT_RETENTION = dt.timedelta(days=1)  # failed attempts older than this are purged
TRUSTED_PROXIES_ENV = "ASSESSMENT_TRUSTED_PROXIES"  # comma-separated IPs or CIDRs of reverse proxies


def joins_per_address(setting: str | None = None) -> int:
    """How many participants one client address may add to one workshop: ASSESSMENT_JOINS_PER_ADDRESS
    (a whole number from 1 to 1000), else JOINS_PER_CLIENT; ValueError names a bad value.

    Without `setting`, the configured value (`assessment.settings`, which checks it with this function)."""
    if setting is None:
        from assessment.settings import settings

        return settings().joins_per_address
    raw = setting.strip()
    if not raw:
        return JOINS_PER_CLIENT
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ValueError(f"{JOINS_PER_ADDRESS_ENV}: must be a whole number from 1 to 1000, not {raw!r}")
    return int(raw)


def new_code(length: int = CODE_LENGTH) -> str:
    """A fresh join code from the cryptographic RNG, e.g. 'K7PQ2M'."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(raw: str) -> str:
    """What a participant typed (' k7pq-2m ') as a code ('K7PQ2M')."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def new_token() -> str:
    """A participant's secret token: it lives in their URL (`&p=TOKEN`) and nowhere else."""
    return secrets.token_urlsafe(18)


def choice_label(choice: str) -> str:
    """'2' → 'Level 2', 'na' → 'N/A', 'unknown' → "Don't know"."""
    if choice == NA:
        return "N/A"
    if choice == UNKNOWN:
        return "Don't know"
    return f"Level {choice}"


def check_choice(choice: str) -> str:
    if choice not in CHOICES:
        raise ValueError(f"a vote is a level 0–{LEVEL_COUNT - 1}, {NA!r} or {UNKNOWN!r}, got {choice!r}")
    return choice


@dataclass(frozen=True)
class Vote:
    """One participant's vote on one question, without who cast it (votes are shown anonymously)."""

    question_id: str
    choice: str
    comment: str = ""

    @property
    def level(self) -> int | None:
        return int(self.choice) if self.choice in LEVEL_CHOICES else None


@dataclass(frozen=True)
class VoteSummary:
    """What the room said about one question."""

    distribution: dict[str, int]  # every choice in CHOICES order, zeros included
    votes: int
    median: float | None  # of the level votes only
    low: int | None
    high: int | None
    comments: list[str] = field(default_factory=list)

    @property
    def spread(self) -> int | None:
        """Range of the level votes (highest − lowest)."""
        return None if self.low is None or self.high is None else self.high - self.low

    @property
    def disagreement(self) -> bool:
        """The room disagrees by two levels or more: worth a discussion before recording."""
        return self.spread is not None and self.spread >= DISAGREEMENT_RANGE

    @property
    def consensus(self) -> int | None:
        """Default consensus: the median rounded down to a level (None without level votes)."""
        return None if self.median is None else math.floor(self.median)

    @property
    def default_choice(self) -> str | None:
        """The consensus offered before the facilitator picks: the median level rounded down; N/A when
        nobody voted a level but someone voted N/A; None (nothing pre-selected) otherwise."""
        if self.consensus is not None:
            return str(self.consensus)
        return NA if self.distribution[NA] else None

    @property
    def level_votes(self) -> int:
        return sum(self.distribution[c] for c in LEVEL_CHOICES)


def summarise(votes: Iterable[Vote]) -> VoteSummary:
    """Distribution, median, range and comments of one question's votes."""
    votes = list(votes)
    distribution = dict.fromkeys(CHOICES, 0)
    for v in votes:
        distribution[check_choice(v.choice)] += 1
    levels = sorted(v.level for v in votes if v.level is not None)
    return VoteSummary(
        distribution=distribution,
        votes=len(votes),
        median=float(statistics.median(levels)) if levels else None,
        low=levels[0] if levels else None,
        high=levels[-1] if levels else None,
        comments=[v.comment.strip() for v in votes if v.comment.strip()],
    )


def vote_summary(votes: Iterable[Vote]) -> dict[str, Any]:
    """One question's votes as plain data, e.g. for the PDF appendix.

    Keys: `votes`, `distribution` (choice → count, in CHOICES order), `labels` (choice → label),
    `median`, `low`, `high`, `spread`, `consensus`, `disagreement`, `comments`.
    """
    s = summarise(votes)
    return {
        "votes": s.votes, "distribution": s.distribution, "labels": {c: choice_label(c) for c in CHOICES},
        "median": s.median, "low": s.low, "high": s.high, "spread": s.spread,
        "consensus": s.consensus, "disagreement": s.disagreement, "comments": s.comments,
    }


def default_note(summary: VoteSummary) -> str:
    """The answer's note when a consensus is recorded: the room's comments, one per line."""
    return "\n".join(f"- {c}" for c in summary.comments)


def retry_after(
    attempts: Sequence[dt.datetime], now: dt.datetime, *, limit: int = JOIN_LIMIT, window: dt.timedelta = JOIN_WINDOW,
) -> float:
    """Seconds before another attempt is allowed (0.0: allowed now), given earlier attempts' times.

    At most `limit` attempts fit in any `window`: once the window holds `limit`, the next attempt
    waits until the oldest of them leaves it.
    """
    recent = sorted(t for t in attempts if now - window < t <= now)
    if len(recent) < limit:
        return 0.0
    oldest_that_counts = recent[-limit]
    return max(0.0, (oldest_that_counts + window - now).total_seconds())


def participant_label(name: str, number: int) -> str:
    """How the facilitator's room list names a participant: their name, or 'anonymous #3' (by join order)."""
    return name or f"anonymous #{number}"


# --- the client's address behind reverse proxies ---------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK = "127.0.0.1"  # Streamlit reports a client on the loopback interface as no address at all


def trusted_proxies(setting: str) -> list[Network]:
    """ASSESSMENT_TRUSTED_PROXIES ('10.0.0.5, 10.1.0.0/16, ::1') as networks; ValueError names a bad entry."""
    found = []
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_ENV}: {entry!r} is not an IP address or CIDR network") from None
    return found


def _address(entry: str) -> IPAddress | None:
    """One X-Forwarded-For entry ('1.2.3.4', '1.2.3.4:5678', '[2001:db8::1]:443', '2001:db8::1') or None."""
    entry = entry.strip()
    if entry.startswith("[") and "]" in entry:
        entry = entry[1:entry.index("]")]
    elif entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    try:
        return ipaddress.ip_address(entry)
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address
    in X-Forwarded-For that is not a trusted proxy.

    A client writes any X-Forwarded-For it likes; each proxy appends the address it saw. So only entries
    appended by trusted proxies are believed: walk from the peer leftwards while the address is trusted.
    `peer` None is the loopback interface (Streamlit's way of saying so). An entry that is not an address
    stops the walk at the last trusted proxy, whose address is then the key (shared, never spoofed).
    """
    current = _address(peer or LOOPBACK) or ipaddress.ip_address(LOOPBACK)
    chain = [e for header in forwarded_for for e in header.split(",") if e.strip()]
    while any(current in net for net in trusted) and chain:
        previous = _address(chain.pop())
        if previous is None:
            break
        current = previous
    return str(current)


def client_key(address: str) -> str:
    """Whom join attempts and joins are counted against: 'ip:ADDRESS', an IPv6 client by its /64 network
    (one household or phone gets a whole /64, and could otherwise take a fresh key for every try)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"ip:{ip}"
