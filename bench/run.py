"""`make bench`: seed PostgreSQL, start gunicorn (2 sync workers), load every scenario, report.

    .venv/bin/python -m bench.run [--rounds 3] [--duration 10] [--connections 16]
                                  [--only NAME ...] [--reseed] [--database-url URL]

Each round measures the floor first and then every selected scenario, so each ratio is
taken against a floor measured minutes, not hours, apart. The table shows the median of
the rounds and their spread (min-max); the JSON under bench/results/ keeps every round.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bench import load, registry, server
from bench.registry import FLOOR, Scenario

# The floor measured with bench.loadgen, for the scenarios that run through it (`bodies`).
FLOOR_LOADGEN = replace(
    FLOOR, name="floor.loadgen", note="the floor through bench.loadgen (per-request bodies)"
)
FLOORS = (FLOOR, FLOOR_LOADGEN)


@dataclass
class Outcome:
    scenario: Scenario
    queries: int | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(round_[key] for round_ in self.rounds)

    def spread(self, key: str) -> tuple[float, float]:
        values = [round_[key] for round_ in self.rounds]
        return min(values), max(values)

    def failures(self) -> list[str]:
        budget = self.scenario.budget
        reasons = []
        if any(round_["bad"] for round_ in self.rounds):
            reasons.append("unexpected responses")
        if budget.min_ratio is not None and self.median("ratio") < budget.min_ratio:
            reasons.append("throughput")
        if budget.max_p99_ms is not None and self.median("p99_ms") > budget.max_p99_ms:
            reasons.append("p99")
        if (
            budget.max_queries is not None
            and self.queries is not None
            and self.queries > budget.max_queries
        ):
            reasons.append("queries")
        return reasons


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario (3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each (2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="NAME",
        help="scenario names, shell patterns ('catalog.*') or module names; the floor always runs",
    )
    parser.add_argument(
        "--reseed",
        action="store_true",
        help="drop and recreate the bench database, then seed everything",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", server.DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", server.DEFAULT_REDIS_URL),
        help="Redis for the server's cache, throttles and broker, as production has; emptied "
        "first ('' or unreachable: none, Celery eager)",
    )
    parser.add_argument(
        "--floor-every",
        choices=["scenario", "round"],
        default="scenario",
        help="measure the floor right before every scenario (default) or once per round",
    )
    parser.add_argument(
        "--tool",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk when installed (auto), or the Python client",
    )
    return parser.parse_args(argv)


def setup_django(env: dict[str, str]) -> None:
    # This process seeds and counts queries through Django's test client ("testserver").
    os.environ.update(env)
    os.environ["ALLOWED_HOSTS"] = env["ALLOWED_HOSTS"] + ",testserver"
    import warnings

    import django

    # WhiteNoise warns that staticfiles/ does not exist: the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def count_queries(scenario: Scenario, context: registry.Context) -> int:
    """Run the request once in-process and count its SQL queries; the status must be right."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    request = scenario.resolve(context)
    headers = {
        name: value for name, value in request.headers.items() if name.lower() != "content-type"
    }
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.generic(
            request.method,
            request.path,
            data=request.body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
    if response.status_code != scenario.expect_status:
        raise SystemExit(
            f"{scenario.name}: expected {scenario.expect_status}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return len(captured.captured_queries)


def git_commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=server.ROOT
    )
    return completed.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = load.choose_tool(args.tool)
    args.redis_url = server.prepare_redis(args.redis_url)
    env = server.server_environment(args.database_url, redis_url=args.redis_url)

    server.ensure_database(args.database_url, recreate=args.reseed)
    server.migrate(env)
    setup_django(env)

    modules = registry.discover(args.only)
    selected = registry.select(modules, args.only)
    # Seed and prepare only the modules the selected scenarios need (and what they depend on).
    modules = registry.needed_by(modules, selected)
    registry.seed_stale_modules(modules)
    module_by_name = {module.name: module for module in modules}

    outcomes = [Outcome(FLOOR)] + [Outcome(scenario) for scenario in selected]
    # A scenario that sends a new body per request runs through bench.loadgen, whatever
    # --tool says (wrk repeats one body); its ratio is to a floor measured the same way.
    floors = {tool: outcomes[0]}
    if tool != "python" and any(scenario.bodies is not None for scenario in selected):
        floors["python"] = Outcome(FLOOR_LOADGEN)
        outcomes.insert(1, floors["python"])
    contexts = {name: module.prepare() for name, module in module_by_name.items()}
    for outcome in outcomes:
        if outcome.scenario.count_queries:
            context = contexts.get(outcome.scenario.module, {})
            outcome.queries = count_queries(outcome.scenario, context)

    from django.db import connections

    connections.close_all()
    tool_label = load.describe_tool(tool)
    print(f"load: {tool_label}; {args.rounds} round(s) of {args.duration:g} s per scenario")

    started = time.time()
    load_before = os.getloadavg()[0]  # other work on the machine, before ours starts
    with server.Gunicorn(env, workers=args.workers) as gunicorn:
        for round_number in range(1, args.rounds + 1):
            # Fresh tokens every round: access tokens live 15 minutes.
            contexts = {name: module.prepare() for name, module in module_by_name.items()}
            connections.close_all()
            floor_rps: dict[str, float] = {}
            for outcome in outcomes[1:]:
                if outcome.scenario in FLOORS:
                    continue
                used = "python" if outcome.scenario.bodies is not None else tool
                # The floor right before each scenario (--floor-every scenario, the default),
                # or once at the start of the round: a ratio is only as good as its floor.
                if used not in floor_rps or args.floor_every == "scenario":
                    floor_rps[used] = run_one(
                        args, used, gunicorn.port, floors[used], contexts, round_number, None
                    )
                run_one(args, used, gunicorn.port, outcome, contexts, round_number, floor_rps[used])
            if len(outcomes) == 1:
                run_one(args, tool, gunicorn.port, outcomes[0], contexts, round_number, None)
    load_after = os.getloadavg()[0]
    # The wrk floor is not measured when every selected scenario runs through bench.loadgen.
    outcomes = [outcome for outcome in outcomes if outcome.rounds]

    header = (
        f"Load generator: {tool_label}; {args.connections} connections, "
        f"{args.duration:g} s x {args.rounds} rounds (median [min-max]); gunicorn "
        f"{args.workers} sync workers; PostgreSQL {args.database_url.rsplit('/', 1)[-1]}; "
        f"{server.describe_redis(args.redis_url)}; FAST_PASSWORD_HASHER=true (bench only)"
    )
    cpus = os.cpu_count() or 1
    busy = load_before > 0.5 * cpus
    print()
    print(header)
    if busy:
        print(
            f"WARNING: the machine was busy before the benchmark started (load average "
            f"{load_before:.1f} on {cpus} CPUs): absolute figures are unreliable, ratios less so"
        )
    print(render_table(outcomes))
    failed = [outcome for outcome in outcomes if outcome.failures()]
    loads = {"before": load_before, "after": load_after, "busy_before": busy}
    path = write_results(args, tool_label, outcomes, started, loads)
    print(f"\nresults: {path.relative_to(server.ROOT)}")
    if failed:
        print(
            "budgets missed: "
            + ", ".join(
                f"{outcome.scenario.name} ({', '.join(outcome.failures())})" for outcome in failed
            )
        )
        return 1
    print("every budget met")
    return 0


def run_one(
    args: argparse.Namespace,
    tool: str,
    port: int,
    outcome: Outcome,
    contexts: dict[str, registry.Context],
    round_number: int,
    floor_rps: float | None,
) -> float:
    """Measure one scenario once; its ratio is to `floor_rps` (None: this is the floor)."""
    scenario = outcome.scenario
    connections_count = scenario.connections or args.connections
    measurement = load.measure(
        tool=tool,
        host="127.0.0.1",
        port=port,
        request=scenario.resolve(contexts.get(scenario.module, {})),
        connections=connections_count,
        duration=args.duration,
        warmup=args.warmup,
        expect_status=scenario.expect_status,
    )
    if floor_rps is None:
        ratio = 1.0
    else:
        ratio = measurement.requests_per_s / floor_rps if floor_rps else 0.0
    outcome.rounds.append(
        {
            **asdict(measurement),
            "round": round_number,
            "ratio": ratio,
            "floor_requests_per_s": floor_rps,
            "connections": connections_count,
        }
    )
    print(
        f"round {round_number}/{args.rounds} {scenario.name:<28} "
        f"{measurement.requests_per_s:8.0f} req/s  p50 {measurement.p50_ms:6.1f} ms"
        f"  p99 {measurement.p99_ms:6.1f} ms  ratio {ratio:5.1%}"
        + (f"  BAD {measurement.bad} ({measurement.detail})" if measurement.bad else ""),
        flush=True,
    )
    return measurement.requests_per_s


def render_table(outcomes: list[Outcome]) -> str:
    columns = ["scenario", "req/s", "p50 ms", "p99 ms", "ratio", "queries", "budget", "result"]
    rows = []
    for outcome in outcomes:
        low, high = outcome.spread("requests_per_s")
        p99_low, p99_high = outcome.spread("p99_ms")
        ratio_low, ratio_high = outcome.spread("ratio")
        is_floor = outcome.scenario in FLOORS
        failures = outcome.failures()
        rows.append(
            [
                outcome.scenario.name,
                f"{outcome.median('requests_per_s'):.0f} [{low:.0f}-{high:.0f}]",
                f"{outcome.median('p50_ms'):.1f}",
                f"{outcome.median('p99_ms'):.1f} [{p99_low:.1f}-{p99_high:.1f}]",
                "1"
                if is_floor
                else f"{outcome.median('ratio'):.1%} [{ratio_low:.1%}-{ratio_high:.1%}]",
                "-" if outcome.queries is None else str(outcome.queries),
                "(floor)" if is_floor else outcome.scenario.budget.describe(),
                ("FAIL: " + ", ".join(failures)) if failures else ("-" if is_floor else "pass"),
            ]
        )
    widths = [
        max(len(str(row[index])) for row in [columns, *rows]) for index in range(len(columns))
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    lines = [line(columns).rstrip(), "  ".join("-" * width for width in widths)]
    lines += [line(row).rstrip() for row in rows]
    notes = [
        f"  {outcome.scenario.name}: {outcome.scenario.note}"
        for outcome in outcomes
        if outcome.scenario.note
    ]
    return "\n".join(lines + (["notes:", *notes] if notes else []))


def write_results(
    args: argparse.Namespace,
    tool_label: str,
    outcomes: list[Outcome],
    started: float,
    loads: dict[str, Any],
) -> Any:
    server.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(started, tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "started_at": stamp,
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_generator": tool_label,
        "load_average": loads,
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "floor_every": args.floor_every,
            "connections": args.connections,
            "workers": args.workers,
            "redis": bool(args.redis_url),
        },
        "scenarios": [
            {
                "name": outcome.scenario.name,
                "module": outcome.scenario.module,
                "method": outcome.scenario.method,
                "budget": asdict(outcome.scenario.budget),
                "queries": outcome.queries,
                "median": {
                    key: outcome.median(key)
                    for key in ("requests_per_s", "p50_ms", "p99_ms", "ratio")
                },
                "rounds": outcome.rounds,
                "failures": outcome.failures(),
            }
            for outcome in outcomes
        ],
    }
    path = server.RESULTS_DIR / f"bench-{stamp}.json"
    payload = json.dumps(document, indent=2)
    path.write_text(payload)
    (server.RESULTS_DIR / "latest.json").write_text(payload)
    return path


if __name__ == "__main__":
    sys.exit(main())
