"""Migration 0006 seals the chain head with its own copy of what lms.audit.chain did when it
was written, not by importing chain.py: a later change to the live code must not change what
an old migration writes (issue 9's review). Its behaviour on real chains (a new database,
version-1 lines, the boundary) is tested through it in test_head_seal.py."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
migration_0006 = importlib.import_module("lms.audit.migrations.0006_sealed_chain_head")
KEY = "a fixed key for this test only"
KEY_ID = "f1fa58f8196d5c81"  # its id, as lms.audit.chain.derive_key gave it


def test_no_audit_migration_imports_the_applications_code():
    imports = []
    for path in sorted(MIGRATIONS.glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            imports += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "lms"]
    assert imports == []


def test_the_seal_it_writes_is_the_one_of_its_time(settings):
    """Pinned values, computed with lms.audit.chain.head_seal as it was when 0006 was frozen."""
    settings.AUDIT_DIGEST_KEY = KEY

    empty = migration_0006._head_seal(position=0, hash="", legacy_until=0)
    sealed = migration_0006._head_seal(position=3, hash="ab" * 32, legacy_until=1)

    assert empty == {
        "key_id": KEY_ID,
        "mac": "311e90e3089aa2708c6ceaae7aba1a0f14f88b50d00051de1448298e94b85cda",
    }
    assert sealed == {
        "key_id": KEY_ID,
        "mac": "ad964c35528fb8da32122c1a944b762d164889a3df0b29ed5670f6a8fd2a9840",
    }


def test_without_an_audit_key_it_seals_with_the_secret_key(settings):
    settings.AUDIT_DIGEST_KEY = ""
    settings.SECRET_KEY = KEY

    assert migration_0006._head_seal(position=0, hash="", legacy_until=0)["key_id"] == KEY_ID
