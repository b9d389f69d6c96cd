"""The rollups' maintenance (PostgreSQL triggers) and their rebuild from the sources.

Why triggers and not the services: analytics is the top layer, so the services that write
lesson progress, enrollments and the ledger (learning, commerce, payouts) may not import it;
a trigger runs in the writing transaction whatever writes the row (a service, the admin, a
bulk load, a migration), so a rollup cannot miss a write path. The figures are the ones
docs/analytics.md defines, and `rebuild()` recomputes every rollup from the sources with the
same rules (the tests compare the two).

- `analytics_lessoncompletions`: +1 / -1 when a progress row becomes / stops being
  completed under an enrollment that gives access; an enrollment's status moving into or out
  of access moves all its completed lessons.
- `analytics_courseenrollments`: enrollments not revoked, and completed, per course;
  `analytics_enrollmentdays` and `analytics_enrollmentbuckets` the former per course and
  UTC day, and per course and 15-minute UTC bucket, of `enrolled_at`.
- `analytics_revenuetotal` / `analytics_revenuebucket`: each leg of a `sale` or
  `sale_reversal` adds its amount (clearing: gross = minus it, and refunded for a reversal;
  revenue: fees; instructor accounts: net) to the platform's view (scope NONE) and, for an
  instructor's own leg, to that instructor's net. An instructor's gross and fees are the
  platform legs of the sales they have a share in: each (platform leg, instructor) pair is
  added once, by whichever of the two rows is inserted second (a row-level BEFORE trigger
  sees exactly the rows inserted before it, even within one multi-row INSERT). The ledger is
  append-only (its own trigger refuses UPDATE and DELETE), so inserts are all there is.
  The order item (kind, course) of a reversal is the sale's it reverses.

Cost on the write path: one or two upserts per row written; concurrent writers of the same
key (the same lesson, course, or 15-minute bucket of the platform's sales) wait for each
other's commit on that row, as they already do on the course's and wallet's counters. Every
trigger takes its rollup rows in one order (course, then its day, then its bucket; the
platform's revenue rows before an instructor's), so two writers never wait on each other in
a cycle (tests/test_postgres_races.py).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from .models import BUCKET_MINUTES

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
ACCESS = "('active', 'completed')"
INSTRUCTOR_ACCOUNTS = (
    "('instructor_pending', 'instructor_available', 'instructor_held', 'instructor_debt')"
)
UUID_TEXT = "'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$'"


def enabled() -> bool:
    """The rollups are maintained (and read) on PostgreSQL only."""
    return connection.vendor == "postgresql"


_BUCKET = f"date_bin('{BUCKET_MINUTES} minutes', {{at}}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
# The bucket's place in its UTC day: 0 for 00:00-00:15 ... 95 for 23:45-24:00.
_QUARTER = (
    "floor((extract(epoch FROM {at}) - extract(epoch FROM date_trunc('day', {at}, 'UTC')))"
    f" / ({BUCKET_MINUTES} * 60))::smallint"
)

CREATE = f"""
DROP FUNCTION IF EXISTS analytics_add_lesson(uuid, integer);
DROP FUNCTION IF EXISTS analytics_add_course(uuid, integer, integer);
DROP FUNCTION IF EXISTS analytics_add_revenue(uuid, text, uuid, text, timestamptz, numeric,
                                              numeric, numeric, numeric);
CREATE OR REPLACE FUNCTION analytics_add_lesson(p_lesson uuid, delta integer) RETURNS void AS $$
BEGIN
    IF delta = 0 THEN RETURN; END IF;
    INSERT INTO analytics_lessoncompletions (lesson_id, course_id, completed)
    SELECT l.id, l.course_id, delta FROM catalog_lesson l WHERE l.id = p_lesson
    ON CONFLICT (lesson_id) DO UPDATE
        SET completed = analytics_lessoncompletions.completed + EXCLUDED.completed;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_progress_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM learning_enrollment e
         WHERE e.id = OLD.enrollment_id AND e.status IN {ACCESS}) THEN
        PERFORM analytics_add_lesson(OLD.lesson_id, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.completed_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM learning_enrollment e
         WHERE e.id = NEW.enrollment_id AND e.status IN {ACCESS}) THEN
        PERFORM analytics_add_lesson(NEW.lesson_id, 1);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_add_course(p_course uuid, d_enrolled integer,
                                                d_completed integer) RETURNS void AS $$
BEGIN
    IF d_enrolled = 0 AND d_completed = 0 THEN RETURN; END IF;
    INSERT INTO analytics_courseenrollments (course_id, enrollments, completed)
    VALUES (p_course, d_enrolled, d_completed)
    ON CONFLICT (course_id) DO UPDATE
        SET enrollments = analytics_courseenrollments.enrollments + EXCLUDED.enrollments,
            completed = analytics_courseenrollments.completed + EXCLUDED.completed;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_add_enrollment_time(p_course uuid, p_at timestamptz,
                                                         delta integer) RETURNS void AS $$
BEGIN
    INSERT INTO analytics_enrollmentdays (course_id, day, enrollments)
    VALUES (p_course, (p_at AT TIME ZONE 'UTC')::date, delta)
    ON CONFLICT (course_id, day) DO UPDATE
        SET enrollments = analytics_enrollmentdays.enrollments + EXCLUDED.enrollments;
    INSERT INTO analytics_enrollmentbuckets (course_id, bucket, quarter, enrollments)
    VALUES (p_course, {_BUCKET.format(at="p_at")}, {_QUARTER.format(at="p_at")}, delta)
    ON CONFLICT (course_id, bucket) DO UPDATE
        SET enrollments = analytics_enrollmentbuckets.enrollments + EXCLUDED.enrollments;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_enrollment_changed() RETURNS trigger AS $$
DECLARE
    was_access boolean := TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {ACCESS};
    is_access boolean := TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN {ACCESS};
    lesson record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_add_course(OLD.course_id, (OLD.status <> 'revoked')::int * -1,
                                     (OLD.status = 'completed')::int * -1);
        IF OLD.status <> 'revoked' THEN
            PERFORM analytics_add_enrollment_time(OLD.course_id, OLD.enrolled_at, -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_add_course(NEW.course_id, (NEW.status <> 'revoked')::int,
                                     (NEW.status = 'completed')::int);
        IF NEW.status <> 'revoked' THEN
            PERFORM analytics_add_enrollment_time(NEW.course_id, NEW.enrolled_at, 1);
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND was_access <> is_access THEN
        FOR lesson IN SELECT p.lesson_id FROM learning_lessonprogress p
                       WHERE p.enrollment_id = NEW.id AND p.completed_at IS NOT NULL LOOP
            PERFORM analytics_add_lesson(lesson.lesson_id,
                                         CASE WHEN is_access THEN 1 ELSE -1 END);
        END LOOP;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_add_revenue(p_scope uuid, p_kind text, p_course uuid,
        p_currency text, p_bucket timestamptz, g numeric, f numeric, n numeric, r numeric)
        RETURNS void AS $$
BEGIN
    IF g = 0 AND f = 0 AND n = 0 AND r = 0 THEN RETURN; END IF;
    INSERT INTO analytics_revenuetotal
        (scope_id, item_kind, course_id, currency, gross, fees, net, refunded)
    VALUES (p_scope, p_kind, p_course, p_currency, g, f, n, r)
    ON CONFLICT (scope_id, item_kind, course_id, currency) DO UPDATE SET
        gross = analytics_revenuetotal.gross + EXCLUDED.gross,
        fees = analytics_revenuetotal.fees + EXCLUDED.fees,
        net = analytics_revenuetotal.net + EXCLUDED.net,
        refunded = analytics_revenuetotal.refunded + EXCLUDED.refunded;
    INSERT INTO analytics_revenuebucket
        (scope_id, course_id, currency, bucket, gross, fees, net, refunded)
    SELECT p_scope, c, p_currency, p_bucket, g, f, n, r
      FROM (VALUES ('{ZERO_UUID}'::uuid), (p_course)) AS courses(c)
     WHERE c = '{ZERO_UUID}'::uuid OR p_course <> '{ZERO_UUID}'::uuid
     GROUP BY c
    ON CONFLICT (scope_id, course_id, currency, bucket) DO UPDATE SET
        gross = analytics_revenuebucket.gross + EXCLUDED.gross,
        fees = analytics_revenuebucket.fees + EXCLUDED.fees,
        net = analytics_revenuebucket.net + EXCLUDED.net,
        refunded = analytics_revenuebucket.refunded + EXCLUDED.refunded;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_ledger_leg_added() RETURNS trigger AS $$
DECLARE
    none uuid := '{ZERO_UUID}';
    t record;
    sale_type text;
    sale_ref text;
    v_kind text := '';
    v_course uuid := none;
    v_bucket timestamptz;
    g numeric := 0;
    f numeric := 0;
    n numeric := 0;
    r numeric := 0;
    me uuid;
    other record;
BEGIN
    SELECT lt.id, lt.kind, lt.created_at, lt.reverses_id, lt.reference_type, lt.reference_id
      INTO t FROM payouts_ledgertransaction lt WHERE lt.id = NEW.transaction_id;
    IF t.kind NOT IN ('sale', 'sale_reversal') THEN RETURN NEW; END IF;
    IF t.reverses_id IS NULL THEN
        sale_type := t.reference_type; sale_ref := t.reference_id;
    ELSE
        SELECT lt.reference_type, lt.reference_id INTO sale_type, sale_ref
          FROM payouts_ledgertransaction lt WHERE lt.id = t.reverses_id;
    END IF;
    IF sale_type = 'commerce.orderitem' AND sale_ref ~ {UUID_TEXT} THEN
        SELECT oi.kind, coalesce(oi.course_id, none) INTO v_kind, v_course
          FROM commerce_orderitem oi WHERE oi.id = sale_ref::uuid;
        IF NOT FOUND THEN v_kind := ''; v_course := none; END IF;
    END IF;
    v_bucket := {_BUCKET.format(at="t.created_at")};
    IF NEW.account = 'platform_clearing' THEN
        g := -NEW.amount;
        IF t.kind = 'sale_reversal' THEN r := NEW.amount; END IF;
    ELSIF NEW.account = 'platform_revenue' THEN
        f := NEW.amount;
    ELSIF NEW.account IN {INSTRUCTOR_ACCOUNTS} THEN
        n := NEW.amount;
    END IF;
    PERFORM analytics_add_revenue(none, v_kind, v_course, NEW.currency, v_bucket, g, f, n, r);
    IF NEW.wallet_id IS NOT NULL THEN
        SELECT instructor_id INTO me FROM payouts_wallet WHERE id = NEW.wallet_id;
        PERFORM analytics_add_revenue(me, v_kind, v_course, NEW.currency, v_bucket, 0, 0, n, 0);
        IF NOT EXISTS (SELECT 1 FROM payouts_ledgerentry e
                         JOIN payouts_wallet w ON w.id = e.wallet_id
                        WHERE e.transaction_id = t.id AND w.instructor_id = me) THEN
            -- this instructor's first leg of the sale: the platform legs already written
            FOR other IN SELECT e.account, e.amount FROM payouts_ledgerentry e
                          WHERE e.transaction_id = t.id AND e.wallet_id IS NULL
                            AND e.account IN ('platform_clearing', 'platform_revenue') LOOP
                PERFORM analytics_add_revenue(
                    me, v_kind, v_course, NEW.currency, v_bucket,
                    CASE WHEN other.account = 'platform_clearing' THEN -other.amount ELSE 0 END,
                    CASE WHEN other.account = 'platform_revenue' THEN other.amount ELSE 0 END,
                    0,
                    CASE WHEN other.account = 'platform_clearing' AND t.kind = 'sale_reversal'
                         THEN other.amount ELSE 0 END);
            END LOOP;
        END IF;
    ELSIF g <> 0 OR f <> 0 THEN
        -- a platform leg: every instructor already sharing in the sale
        FOR other IN SELECT DISTINCT w.instructor_id FROM payouts_ledgerentry e
                       JOIN payouts_wallet w ON w.id = e.wallet_id
                      WHERE e.transaction_id = t.id LOOP
            PERFORM analytics_add_revenue(other.instructor_id, v_kind, v_course,
                                          NEW.currency, v_bucket, g, f, 0, r);
        END LOOP;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS analytics_progress_changed ON learning_lessonprogress;
CREATE TRIGGER analytics_progress_changed
    AFTER INSERT OR DELETE OR UPDATE OF completed_at, enrollment_id, lesson_id
    ON learning_lessonprogress FOR EACH ROW EXECUTE FUNCTION analytics_progress_changed();
DROP TRIGGER IF EXISTS analytics_enrollment_changed ON learning_enrollment;
CREATE TRIGGER analytics_enrollment_changed
    AFTER INSERT OR DELETE OR UPDATE OF status, course_id, enrolled_at
    ON learning_enrollment FOR EACH ROW EXECUTE FUNCTION analytics_enrollment_changed();
DROP TRIGGER IF EXISTS analytics_ledger_leg_added ON payouts_ledgerentry;
CREATE TRIGGER analytics_ledger_leg_added
    BEFORE INSERT ON payouts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION analytics_ledger_leg_added();
"""  # noqa: S608 (constants only, no input)

DROP = """
DROP TRIGGER IF EXISTS analytics_progress_changed ON learning_lessonprogress;
DROP TRIGGER IF EXISTS analytics_enrollment_changed ON learning_enrollment;
DROP TRIGGER IF EXISTS analytics_ledger_leg_added ON payouts_ledgerentry;
DROP FUNCTION IF EXISTS analytics_progress_changed();
DROP FUNCTION IF EXISTS analytics_enrollment_changed();
DROP FUNCTION IF EXISTS analytics_ledger_leg_added();
DROP FUNCTION IF EXISTS analytics_add_lesson(uuid, integer);
DROP FUNCTION IF EXISTS analytics_add_course(uuid, integer, integer);
DROP FUNCTION IF EXISTS analytics_add_enrollment_day(uuid, timestamptz, integer);
DROP FUNCTION IF EXISTS analytics_add_enrollment_time(uuid, timestamptz, integer);
DROP FUNCTION IF EXISTS analytics_add_revenue(uuid, text, uuid, text, timestamptz, numeric,
                                              numeric, numeric, numeric);
"""

# The rebuild: every rollup recomputed from its sources with the triggers' rules.
_LEGS = f"""
WITH legs AS (
    SELECT e.account, e.amount, e.currency, e.wallet_id, w.instructor_id, t.id AS tid,
           t.kind AS tkind, {_BUCKET.format(at="t.created_at")} AS bucket,
           coalesce(oi.kind, '') AS kind,
           coalesce(oi.course_id, '{ZERO_UUID}'::uuid) AS course
      FROM payouts_ledgerentry e
      JOIN payouts_ledgertransaction t ON t.id = e.transaction_id
      LEFT JOIN payouts_ledgertransaction s ON s.id = t.reverses_id
      LEFT JOIN payouts_wallet w ON w.id = e.wallet_id
      LEFT JOIN commerce_orderitem oi
        ON coalesce(s.reference_type, t.reference_type) = 'commerce.orderitem'
       AND oi.id = CASE WHEN coalesce(s.reference_id, t.reference_id) ~ {UUID_TEXT}
                        THEN coalesce(s.reference_id, t.reference_id)::uuid END
     WHERE t.kind IN ('sale', 'sale_reversal')
),
sharing AS (SELECT DISTINCT tid, instructor_id FROM legs WHERE instructor_id IS NOT NULL),
viewed AS (
    SELECT '{ZERO_UUID}'::uuid AS scope, legs.* FROM legs
    UNION ALL
    SELECT sharing.instructor_id, legs.* FROM legs JOIN sharing ON sharing.tid = legs.tid
     WHERE legs.wallet_id IS NULL OR legs.instructor_id = sharing.instructor_id
),
figures AS (
    SELECT scope, kind, course, currency, bucket,
           CASE WHEN account = 'platform_clearing' THEN -amount ELSE 0 END AS gross,
           CASE WHEN account = 'platform_revenue' THEN amount ELSE 0 END AS fees,
           CASE WHEN account IN {INSTRUCTOR_ACCOUNTS} THEN amount ELSE 0 END AS net,
           CASE WHEN account = 'platform_clearing' AND tkind = 'sale_reversal'
                THEN amount ELSE 0 END AS refunded
      FROM viewed
     WHERE account IN ('platform_clearing', 'platform_revenue')
        OR account IN {INSTRUCTOR_ACCOUNTS}
)
"""  # noqa: S608 (constants only, no input)

REBUILD = [
    "DELETE FROM analytics_lessoncompletions",
    f"""
    INSERT INTO analytics_lessoncompletions (lesson_id, course_id, completed)
    SELECT l.id, l.course_id, count(*)
      FROM learning_lessonprogress p
      JOIN learning_enrollment e ON e.id = p.enrollment_id
      JOIN catalog_lesson l ON l.id = p.lesson_id
     WHERE p.completed_at IS NOT NULL AND e.status IN {ACCESS}
     GROUP BY l.id, l.course_id
    """,  # noqa: S608 (constants only, no input)
    "DELETE FROM analytics_courseenrollments",
    """
    INSERT INTO analytics_courseenrollments (course_id, enrollments, completed)
    SELECT course_id, count(*) FILTER (WHERE status <> 'revoked'),
           count(*) FILTER (WHERE status = 'completed')
      FROM learning_enrollment GROUP BY course_id
    """,
    "DELETE FROM analytics_enrollmentdays",
    """
    INSERT INTO analytics_enrollmentdays (course_id, day, enrollments)
    SELECT course_id, (enrolled_at AT TIME ZONE 'UTC')::date, count(*)
      FROM learning_enrollment WHERE status <> 'revoked'
     GROUP BY course_id, (enrolled_at AT TIME ZONE 'UTC')::date
    """,
    "DELETE FROM analytics_enrollmentbuckets",
    f"""
    INSERT INTO analytics_enrollmentbuckets (course_id, bucket, quarter, enrollments)
    SELECT course_id, {_BUCKET.format(at="enrolled_at")}, {_QUARTER.format(at="enrolled_at")},
           count(*)
      FROM learning_enrollment WHERE status <> 'revoked'
     GROUP BY course_id, {_BUCKET.format(at="enrolled_at")}, {_QUARTER.format(at="enrolled_at")}
    """,  # noqa: S608 (constants only, no input)
    "DELETE FROM analytics_revenuetotal",
    "DELETE FROM analytics_revenuebucket",
    f"""{_LEGS}
    INSERT INTO analytics_revenuetotal
        (scope_id, item_kind, course_id, currency, gross, fees, net, refunded)
    SELECT scope, kind, course, currency, sum(gross), sum(fees), sum(net), sum(refunded)
      FROM figures GROUP BY scope, kind, course, currency
    """,  # noqa: S608 (constants only, no input)
    f"""{_LEGS}
    INSERT INTO analytics_revenuebucket
        (scope_id, course_id, currency, bucket, gross, fees, net, refunded)
    SELECT scope, '{ZERO_UUID}'::uuid, currency, bucket,
           sum(gross), sum(fees), sum(net), sum(refunded)
      FROM figures GROUP BY scope, currency, bucket
    UNION ALL
    SELECT scope, course, currency, bucket, sum(gross), sum(fees), sum(net), sum(refunded)
      FROM figures WHERE course <> '{ZERO_UUID}'::uuid
     GROUP BY scope, course, currency, bucket
    """,  # noqa: S608 (constants only, no input)
]


def install(db: Any = None) -> None:
    """Create (or replace) the triggers; PostgreSQL only."""
    db = db or connection
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(CREATE)


def rebuild(db: Any = None) -> None:
    """Recompute every rollup from its sources (in the caller's transaction); PostgreSQL
    only. Run it with the writers quiet (a deploy step, or after a bulk load with the
    triggers off): a source row written meanwhile may be counted twice or not at all."""
    db = db or connection
    if db.vendor != "postgresql":
        return
    with db.cursor() as cursor:
        for statement in REBUILD:
            cursor.execute(statement)
