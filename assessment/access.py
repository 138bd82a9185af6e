"""Who may act as a facilitator through single sign-on: the ASSESSMENT_SSO_ALLOWED rule.

The identity provider says who someone is; this rule says whether that person may run assessments.
A rule is a comma-separated list of e-mail addresses (`ada@example.org`) and domains (`example.org`,
or `@example.org`); an empty rule lets in everyone the provider accepts.
"""

from __future__ import annotations

ALLOWED_ENV = "ASSESSMENT_SSO_ALLOWED"


def parse_rule(rule: str) -> tuple[frozenset[str], frozenset[str]]:
    """(addresses, domains) of a rule, lower-cased; blanks ignored."""
    addresses, domains = set(), set()
    for entry in (part.strip().lower() for part in rule.split(",")):
        if not entry:
            continue
        if "@" in entry.lstrip("@"):
            addresses.add(entry)
        else:
            domains.add(entry.lstrip("@"))
    return frozenset(addresses), frozenset(domains)


def sso_allowed(email: str | None, rule: str) -> bool:
    """True when the rule is empty, or the (verified) e-mail is listed or belongs to a listed domain."""
    addresses, domains = parse_rule(rule)
    if not addresses and not domains:
        return True
    email = (email or "").strip().lower()
    if email.count("@") != 1:
        return False
    return email in addresses or email.rsplit("@", 1)[1] in domains
