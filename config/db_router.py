"""Send reads to a read replica when DATABASE_REPLICA_URLS configures any."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings


class PrimaryReplicaRouter:
    def _replicas(self) -> list[str]:
        return [alias for alias in settings.DATABASES if alias.startswith("replica_")]

    def db_for_read(self, model: Any, **hints: Any) -> str:
        replicas = self._replicas()
        return random.choice(replicas) if replicas else "default"  # noqa: S311

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
