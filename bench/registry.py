"""Scenario definitions, the scenario modules' discovery, and the seed markers.

A scenario module is `bench/scenarios/<app>.py`; bench/README.md describes what it holds.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import pkgutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

Context = dict[str, Any]
Value = Any  # a fixed value or a function of the module's context


@dataclass(frozen=True)
class Budget:
    """What a scenario must reach; None means no limit on that figure."""

    min_ratio: float | None = None  # requests/s as a fraction of the floor's, same round
    max_p99_ms: float | None = None
    max_queries: int | None = None

    def describe(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f">={self.min_ratio:.0%}")
        if self.max_p99_ms is not None:
            parts.append(f"p99<{self.max_p99_ms:g}ms")
        if self.max_queries is not None:
            parts.append(f"q<={self.max_queries}")
        return " ".join(parts) or "-"


@dataclass(frozen=True)
class Scenario:
    """One request, repeated by N connections for the scenario's duration."""

    name: str
    path: Value
    method: str = "GET"
    headers: Value = field(default_factory=dict)
    # A dict or list is sent as JSON; str or bytes as they are (set Content-Type in headers).
    body: Value = None
    # A request that must not repeat (a booking of a free time): a function of the context
    # giving one body per request, each sent once, in order; `body` is then unused. The load
    # runs through bench.loadgen (wrk repeats one body), and so does the floor before it.
    bodies: Value = None
    budget: Budget = field(default_factory=Budget)
    expect_status: int = 200
    count_queries: bool = True
    connections: int | None = None  # overrides --connections (e.g. 8 concurrent buyers)
    note: str = ""
    module: str = ""

    def resolve(self, context: Context) -> ResolvedRequest:
        """The request with its headers and body; with `bodies`, its first body (the one the
        in-process query count sends) and all of them, encoded."""
        path = _value(self.path, context)
        headers = dict(_value(self.headers, context) or {})
        if self.bodies is None:
            return ResolvedRequest(
                self.method.upper(), path, headers, _encode(_value(self.body, context), headers)
            )
        bodies = tuple(_encode(body, headers) for body in _value(self.bodies, context))
        if not bodies:
            raise SystemExit(f"{self.name}: no request bodies to send")
        return ResolvedRequest(self.method.upper(), path, headers, bodies[0], bodies)


def _encode(body: Any, headers: dict[str, str]) -> bytes:
    """A dict or list as JSON (Content-Type set), str as UTF-8, bytes as they are."""
    if isinstance(body, dict | list):
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(body).encode()
    if isinstance(body, str):
        return body.encode()
    return body or b""


@dataclass(frozen=True)
class ResolvedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    bodies: tuple[bytes, ...] = ()  # one per request, each sent once (Scenario.bodies)


def _value(value: Value, context: Context) -> Any:
    return value(context) if callable(value) else value


FLOOR = Scenario(
    name="floor",
    path="/bench/floor/",
    note="bare Django view, fixed 2 KB JSON: the reference for every ratio",
    module="core",
)


@dataclass
class ScenarioModule:
    name: str
    module: ModuleType

    @property
    def seed_version(self) -> str:
        return str(getattr(self.module, "SEED_VERSION", "1"))

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "DEPENDS_ON", ()))

    @property
    def scenarios(self) -> list[Scenario]:
        return [
            scenario if scenario.module else replace(scenario, module=self.name)
            for scenario in getattr(self.module, "SCENARIOS", [])
        ]

    def seed(self) -> None:
        seed: Callable[[], None] | None = getattr(self.module, "seed", None)
        if seed is not None:
            seed()

    def prepare(self) -> Context:
        prepare: Callable[[], Context] | None = getattr(self.module, "prepare", None)
        return dict(prepare() or {}) if prepare is not None else {}


def discover(wanted: Iterable[str] = ()) -> list[ScenarioModule]:
    """Import every bench/scenarios/<app>.py; one that fails to import is skipped with a warning
    (an app still being built) unless a --only pattern names it."""
    import bench.scenarios

    wanted = list(wanted)
    modules = []
    for info in sorted(pkgutil.iter_modules(bench.scenarios.__path__), key=lambda i: i.name):
        try:
            module = importlib.import_module(f"bench.scenarios.{info.name}")
        except Exception as exc:
            if any(pattern.split(".")[0] == info.name for pattern in wanted):
                raise
            print(f"warning: scenario module {info.name} skipped: {exc!r}", file=sys.stderr)
            continue
        modules.append(ScenarioModule(info.name, module))
    return _in_dependency_order(modules)


def _in_dependency_order(modules: list[ScenarioModule]) -> list[ScenarioModule]:
    by_name = {module.name: module for module in modules}
    ordered: list[ScenarioModule] = []
    visiting: set[str] = set()

    def visit(module: ScenarioModule) -> None:
        if module in ordered:
            return
        if module.name in visiting:
            raise RuntimeError(f"scenario modules depend on each other in a cycle: {module.name}")
        visiting.add(module.name)
        for dependency in module.depends_on:
            if dependency not in by_name:
                raise RuntimeError(f"{module.name} depends on a missing module: {dependency}")
            visit(by_name[dependency])
        visiting.discard(module.name)
        ordered.append(module)

    for module in modules:
        visit(module)
    return ordered


def select(modules: list[ScenarioModule], patterns: list[str]) -> list[Scenario]:
    """Scenarios whose name (or module name) matches one of the shell-style patterns."""
    scenarios = [scenario for module in modules for scenario in module.scenarios]
    if not patterns:
        return scenarios
    chosen = [
        scenario
        for scenario in scenarios
        if any(
            fnmatch.fnmatchcase(scenario.name, pattern) or scenario.module == pattern
            for pattern in patterns
        )
    ]
    if not chosen and patterns != ["floor"]:
        names = ", ".join(scenario.name for scenario in scenarios)
        raise SystemExit(f"--only matched no scenario; known: floor, {names}")
    return chosen


def needed_by(modules: list[ScenarioModule], scenarios: list[Scenario]) -> list[ScenarioModule]:
    """The modules owning `scenarios` plus their dependencies, in dependency order."""
    by_name = {module.name: module for module in modules}
    needed: set[str] = set()
    pending = [scenario.module for scenario in scenarios]
    while pending:
        name = pending.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        pending.extend(by_name[name].depends_on)
    return [module for module in modules if module.name in needed]


# --- Seed markers -----------------------------------------------------------------------------
# One row per scenario module in a table of the bench database that no migration knows about:
# a module is seeded again only when its SEED_VERSION differs from the row's (or --reseed).

_MARKER_TABLE = """
CREATE TABLE IF NOT EXISTS bench_seed_marker (
    module text PRIMARY KEY,
    version text NOT NULL,
    seeded_at timestamptz NOT NULL DEFAULT now(),
    seconds double precision NOT NULL
)
"""


def seed_stale_modules(modules: list[ScenarioModule], *, force: bool = False) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(_MARKER_TABLE)
        cursor.execute("SELECT module, version FROM bench_seed_marker")
        current = dict(cursor.fetchall())
    reseeded: set[str] = set()
    for module in modules:
        stale = force or current.get(module.name) != module.seed_version
        # A module seeded on top of data that was just recreated must be seeded again too.
        stale = stale or any(dependency in reseeded for dependency in module.depends_on)
        if not stale:
            print(f"seed {module.name}: current (version {module.seed_version})")
            continue
        print(f"seed {module.name}: seeding (version {module.seed_version}) ...", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            module.seed()
            seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_seed_marker (module, version, seconds) VALUES (%s, %s, %s)"
                    " ON CONFLICT (module) DO UPDATE SET version = EXCLUDED.version,"
                    " seconds = EXCLUDED.seconds, seeded_at = now()",
                    [module.name, module.seed_version, seconds],
                )
        reseeded.add(module.name)
        print(f"seed {module.name}: done in {seconds:.1f} s", flush=True)
