"""The demo accounts: who they are, and the block `make run` prints last.

Every user whose address ends in `DEMO_DOMAIN` is a demo account with `DEMO_PASSWORD`
(each app's seeder creates its users that way), so the list is read from the database and
an account a later seeder adds is printed without a change here. `NOTES` says what each
known account has to try; seeders may add their own lines to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.accounts.models import Role, User

DEMO_DOMAIN = "@demo.learnflow.local"
DEMO_PASSWORD = "demo-pass-2026"
SAMPLE = "student@demo.learnflow.local"  # the account of the printed sign-in example

# email -> what the account shows (kept short: one line each in the terminal).
NOTES: dict[str, str] = {
    "admin@demo.learnflow.local": "/admin/ and review queues: course, application, withdrawal",
    "manager@demo.learnflow.local": "staff: course and application reviews, moderation queue",
    "grace@demo.learnflow.local": "video, PDF, quiz, assignment, wallet, payouts, rejected course",
    "alan@demo.learnflow.local": "a free course, a paid one, a draft and an unpublished one",
    "frida@demo.learnflow.local": "a course waiting for review, an approved one to publish",
    "student@demo.learnflow.local": "courses in progress, a certificate, a passed quiz, a grade",
    "lee@demo.learnflow.local": "a failed quiz attempt, an assignment waiting for a grade",
    "nina@demo.learnflow.local": "student whose instructor application waits for review",
    "omar@demo.learnflow.local": "instructor since his application was approved; no course yet",
    "pia@demo.learnflow.local": "student whose instructor application was rejected",
}  # fmt: skip

_ROLE_ORDER: dict[str, int] = {Role.ADMIN: 0, Role.MANAGER: 1, Role.INSTRUCTOR: 2, Role.STUDENT: 3}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    note: str


def demo_accounts() -> list[DemoAccount]:
    """The active demo users, staff first, then instructors, then students (by address)."""
    rows = User.objects.filter(email__endswith=DEMO_DOMAIN, is_active=True).values_list(
        "email", "role"
    )
    accounts = [DemoAccount(email, role, NOTES.get(email, "")) for email, role in rows]
    return sorted(accounts, key=lambda a: (_ROLE_ORDER.get(a.role, 9), a.email))


def accounts_block(accounts: list[DemoAccount], *, base_url: str | None = None) -> str:
    """The text `make run` ends with: the accounts, the password and where to start."""
    if not accounts:
        return "No demo accounts in this database: run `manage.py seed_demo`.\n"
    width = max(len(account.email) for account in accounts)
    lines = ["", "=" * 78, f"Demo accounts (password for every one: {DEMO_PASSWORD})"]
    for account in accounts:
        lines.append(f"  {account.role:<10} {account.email:<{width}}  {account.note}".rstrip())
    if base_url:
        sample = next((a.email for a in accounts if a.email == SAMPLE), accounts[-1].email)
        lines += [
            "",
            f"API docs:  {base_url}/api/docs/      admin: {base_url}/admin/",
            f"Log in:    curl -X POST {base_url}/api/v1/auth/login/ "
            "-H 'Content-Type: application/json' \\",
            f'             -d \'{{"email": "{sample}", "password": "{DEMO_PASSWORD}"}}\'',
            "E-mails (verification codes, reset links) appear here, in short, as they are sent.",
        ]
    lines.append("=" * 78)
    return "\n".join(lines) + "\n"


def write_accounts(stdout: Any, *, base_url: str | None = None) -> None:
    """Write `accounts_block` of the database's demo accounts to `stdout` and flush it."""
    stdout.write(accounts_block(demo_accounts(), base_url=base_url), ending="")
    stdout.flush()
