"""Row locks of the audit log, and the order in which they are taken.

Lock order:

1. The chain head (`AuditChainHead`, one row), `select_for_update`, taken only by a sealer
   (`lms.audit.chain.seal_pending`) in its own short transaction, and the only lock it
   takes: the unsealed lines it then updates are committed rows that no writer holds.

Writers take no audit lock: `lms.audit.services.record` only INSERTs its line in the
writer's transaction, whatever rows that transaction has locked. So a sealer never waits
for a writer's locks and a writer never waits for a sealer; sealers queue on the head,
one at a time, which makes the chain's order the order in which lines are sealed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lms.audit.models import AuditChainHead


def lock_chain_head(initial: Callable[[], dict[str, Any]] | None = None) -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created at first use,
    with the columns `initial()` gives: the sealer's MAC of an empty chain)."""
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        columns = initial() if initial is not None else {}
        # a concurrent first sealer may win
        AuditChainHead.objects.get_or_create(id=1, defaults=columns)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    return head
