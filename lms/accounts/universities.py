"""Universities and a user's affiliation, verified by the email's domain.

The rule (issue 14): an affiliation is verified when the user's email is verified and its
domain is one of the university's domains or a subdomain of one: for `mit.edu`,
`ada@mit.edu` and `ada@cs.mit.edu` match; `ada@evil-mit.edu` and `ada@mit.edu.evil.com` do
not (a label boundary, never a bare suffix). Verification is computed on read
(`is_verified`, `verified_members_q` for SQL), never stored, so a changed email or a
university's changed domains are seen at once.

Writes call `affiliation_changed_handlers` (the catalog's cached course lists filter by
university).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from lms.accounts.errors import AccountError
from lms.accounts.models import Affiliation, University, User
from lms.accounts.user_cache import flush_cached_user, flush_cached_users
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Invalid
from lms.core.registry import Registry
from lms.core.requests import AnyRequest

# Called (no arguments) after an affiliation, a university's domains or a user's verified
# email changed: the catalog drops its cached `?university=` lists.
affiliation_changed_handlers: Registry[Callable[[], None]] = Registry(
    "accounts.affiliation_changed_handlers"
)


def _changed() -> None:
    for handler in affiliation_changed_handlers:
        handler()


def normalise_domain(domain: str) -> str:
    """`" @CS.MIT.edu. "` -> `cs.mit.edu`; an internationalised name in its ASCII (punycode,
    RFC 3490) form, `tu-münchen.de` -> `xn--tu-mnchen-t9a.de`, so either spelling matches;
    "" for a name IDNA refuses (an empty label, one over 63 characters)."""
    domain = domain.strip().lower().lstrip("@").strip(".")
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def email_domain(email: str) -> str:
    return normalise_domain(email.rsplit("@", 1)[-1]) if "@" in email else ""


def domain_matches(domain: str, university_domain: str) -> bool:
    """`domain` is `university_domain` or one of its subdomains (a whole label boundary)."""
    domain, university_domain = normalise_domain(domain), normalise_domain(university_domain)
    if not domain or not university_domain:
        return False
    return domain == university_domain or domain.endswith(f".{university_domain}")


def is_verified(user: User, university: University) -> bool:
    if not user.email_verified:
        return False
    domain = email_domain(user.email)
    return any(domain_matches(domain, candidate) for candidate in university.domains)


def _spellings(domain: str) -> set[str]:
    """An ASCII domain and, when it is punycode, its Unicode form (an email is stored as
    typed, in either)."""
    if not domain:
        return set()
    try:
        return {domain, domain.encode("ascii").decode("idna")}
    except UnicodeError:
        return {domain}


def verified_members_q(university: University, prefix: str = "") -> Q:
    """The SQL form of `is_verified` for users reached by `prefix` (`"instructor__"` on
    courses): affiliated with `university`, email verified and on one of its domains."""
    on_domain = Q(pk__in=[])  # nothing, when the university has no domain
    for raw in university.domains:
        for domain in _spellings(normalise_domain(raw)):
            on_domain |= Q(**{f"{prefix}email__iendswith": f"@{domain}"}) | Q(
                **{f"{prefix}email__iendswith": f".{domain}"}
            )
    return (
        Q(**{f"{prefix}affiliation__university": university})
        & Q(**{f"{prefix}email_verified_at__isnull": False})
        & on_domain
    )


# --- reads ---------------------------------------------------------------------------------------


def universities(*, search: str | None = None, country: str | None = None) -> QuerySet[University]:
    queryset = University.objects.order_by("name", "id")
    if search:
        queryset = queryset.filter(name__icontains=search)
    if country:
        queryset = queryset.filter(country__iexact=country)
    return queryset


def university(*, university_id: Any) -> University:
    return get_object_or_404(University, pk=university_id)


@dataclass(frozen=True)
class UniversityCount:
    """One university's users: `users` affiliated, `verified_users` of them verified."""

    university_id: Any
    name: str
    users: int
    verified_users: int


def users_per_university() -> list[UniversityCount]:
    """Platform analytics: active users per university, most first (two queries per
    university with members; universities are few)."""
    counts = []
    rows = University.objects.annotate(
        users=Count("affiliations", filter=Q(affiliations__user__is_active=True))
    ).filter(users__gt=0)
    for row in rows:
        verified = (
            User.objects.filter(is_active=True).filter(verified_members_q(row)).distinct().count()
        )
        counts.append(UniversityCount(row.pk, row.name, row.users, verified))
    return sorted(counts, key=lambda count: (-count.users, count.name))


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def set_affiliation(*, user: User, university_id: Any, request: AnyRequest = None) -> Affiliation:
    """Say the user belongs to a university (replacing an earlier one); 400
    `university_not_found` for an unknown id. Verified or not by the rule above."""
    chosen = University.objects.filter(pk=university_id).first()
    if chosen is None:
        raise Invalid("No such university.", code=AccountError.UNIVERSITY_NOT_FOUND)
    affiliation, _ = Affiliation.objects.update_or_create(
        user=user, defaults={"university": chosen}
    )
    record(
        action=AuditAction.USER_UNIVERSITY_SET,
        actor=user,
        target=user,
        request=request,
        data={"university_id": str(chosen.pk), "verified": is_verified(user, chosen)},
    )
    flush_cached_user(user)
    _changed()
    return affiliation


@transaction.atomic
def remove_affiliation(*, user: User, request: AnyRequest = None) -> None:
    deleted, _ = Affiliation.objects.filter(user=user).delete()
    if deleted:
        record(action=AuditAction.USER_UNIVERSITY_REMOVED, actor=user, target=user, request=request)
        flush_cached_user(user)
        _changed()


def save_university(*, university: University) -> University:
    """The admin's save: domains normalised, each once; caches of course lists dropped, and
    so is the cached `/auth/me/` of every affiliated user (its `university` and
    `university_verified` read the name and domains): one generation raise per member,
    now and at the commit (lms.accounts.user_cache.flush_cached_users)."""
    domains = []
    for raw in university.domains or []:
        domain = normalise_domain(str(raw))
        if domain and domain not in domains:
            domains.append(domain)
    university.domains = domains
    with transaction.atomic():
        university.save()
        flush_cached_users(User.objects.filter(affiliation__university=university))
        _changed()
    return university


def delete_university(*, university: University) -> None:
    """The admin's delete: the university and its members' affiliations go (the foreign key
    cascades); the cached `/auth/me/` of every former member is dropped, as `save_university`
    does, and so are the catalog's cached `?university=` lists."""
    with transaction.atomic():
        member_ids = list(
            User.objects.filter(affiliation__university=university).values_list("pk", flat=True)
        )
        university.delete()
        flush_cached_users(User.objects.filter(pk__in=member_ids))
        _changed()


def email_verification_changed(user: User) -> None:
    """Called by accounts when a user's email became verified: their affiliation may now be."""
    if Affiliation.objects.filter(user=user).exists():
        _changed()
