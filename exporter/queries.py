"""SQL for each metric shape, composed with psycopg.sql so configured names are always quoted
identifiers and allowlists are literals: nothing from the config is pasted into SQL as text.

Every query groups in the database and returns one row per label set, so what crosses the wire
(and what the exporter holds in memory) depends on the label cardinality, never on table size.
"""
from __future__ import annotations

from psycopg import sql

from .catalog import ACTIVE_TIMEFRAMES, OTHER
from .config import MetricConfig, TableName

# The open-transaction horizon comes from a SECURITY DEFINER function (reader_role.sql) that
# returns only the oldest other transaction's start: the reader itself cannot see other sessions.
HORIZON_FUNCTION = "business_metrics.oldest_open_transaction_start"

# The upper end of the next incremental window: `safety_lag` behind the database clock, and never
# past the start of a transaction still open in this database (its rows, stamped no earlier than
# its start, become visible only when it commits) unless it has been open longer than
# `max_watermark_hold`. Without the horizon function only the safety lag applies.
_WATERMARK_HIGH = """
SELECT now(),
       least(now() - make_interval(secs => %(lag)s),
             greatest(now() - make_interval(secs => %(hold)s),
                      coalesce({horizon}, 'infinity')))
"""
WATERMARK_HIGH = sql.SQL(_WATERMARK_HIGH.format(horizon=HORIZON_FUNCTION + "()"))
WATERMARK_HIGH_WITHOUT_HORIZON = sql.SQL(_WATERMARK_HIGH.format(horizon="NULL::timestamptz"))

# Whether the horizon function exists, may be called, and has an owner able to see every
# session (a superuser or a member of pg_read_all_stats); one row of three booleans.
HORIZON_CHECK = sql.SQL("""
SELECT p.oid IS NOT NULL,
       p.oid IS NOT NULL AND has_function_privilege(p.oid, 'EXECUTE'),
       p.oid IS NOT NULL AND (r.rolsuper OR pg_has_role(p.proowner, 'pg_read_all_stats', 'USAGE'))
FROM (SELECT to_regprocedure({signature}) AS oid) f
LEFT JOIN pg_proc p ON p.oid = f.oid
LEFT JOIN pg_roles r ON r.oid = p.proowner
""").format(signature=sql.Literal(HORIZON_FUNCTION + "()"))


def _table(name: TableName) -> sql.Composable:
    return sql.Identifier(name.schema, name.name)


def _column(metric: MetricConfig, role: str, alias: str | None = None) -> sql.Composable:
    """The column of a role, qualified by a table alias where a query joins two tables."""
    return sql.Identifier(alias, metric.columns[role]) if alias else sql.Identifier(metric.columns[role])


def _value(metric: MetricConfig) -> sql.Composable:
    """The metric's value expression, its {role} placeholders replaced by quoted columns."""
    return _template(metric, metric.spec.value or "1")


def _template(metric: MetricConfig, template: str, alias: str | None = None) -> sql.Composable:
    return sql.SQL(template).format(**{
        role: _column(metric, role, alias) for role in metric.spec.all_roles if "{" + role + "}" in template})


def _label_exprs(metric: MetricConfig, alias: str | None = None) -> list[sql.Composable]:
    """Each label column mapped through its allowlist: any other value (an email, a card number,
    a typo) and NULL become 'other', inside the database, so they never reach the exporter."""
    exprs = []
    computed = {name: template for name, template, _ in metric.spec.computed_labels}
    for label in metric.spec.labels:
        if label in computed:  # its values are fixed by the template
            exprs.append(_template(metric, computed[label], alias))
            continue
        column = _column(metric, label, alias)
        exprs.append(sql.SQL("CASE WHEN {col}::text = ANY({allowed}) THEN {col}::text "
                             "ELSE {other} END").format(
            col=column, allowed=sql.Literal(list(metric.allowlists[label])),
            other=sql.Literal(OTHER)))
    return exprs


def _grouped(metric: MetricConfig, aggregates: list[sql.Composable], source: sql.Composable,
             where: sql.Composable | None = None) -> sql.Composed:
    labels = _label_exprs(metric)
    query = sql.SQL("SELECT {columns} FROM {source}").format(
        columns=sql.SQL(", ").join(labels + aggregates), source=source)
    if where is not None:
        query += sql.SQL(" WHERE ") + where
    if labels:
        query += sql.SQL(" GROUP BY ") + sql.SQL(", ").join(
            sql.SQL(str(i + 1)) for i in range(len(labels)))
    return query


def events_query(metric: MetricConfig, with_lower_bound: bool) -> sql.Composed:
    """Rows of an append-only table stamped in [%(low)s, %(high)s): per label set the row count,
    the sum of the value, and for histograms the cumulative count at each bucket bound.
    Without the lower bound it is the full aggregate that seeds and recounts."""
    ts = _column(metric, metric.spec.timestamp_role)
    labels = _label_exprs(metric)
    inner = [sql.SQL("{e} AS l{i}").format(e=e, i=sql.SQL(str(i))) for i, e in enumerate(labels)]
    inner.append(sql.SQL("{v} AS v").format(v=_value(metric)) if metric.spec.value
                 else sql.SQL("NULL::numeric AS v"))
    conditions = [sql.SQL("{ts} < %(high)s").format(ts=ts)]
    if with_lower_bound:
        conditions.insert(0, sql.SQL("{ts} >= %(low)s").format(ts=ts))
    rows = sql.SQL("SELECT {inner} FROM {table} WHERE {conditions}").format(
        inner=sql.SQL(", ").join(inner), table=_table(metric.table),
        conditions=sql.SQL(" AND ").join(conditions))

    outer = [sql.SQL("l{i}").format(i=sql.SQL(str(i))) for i in range(len(labels))]
    if metric.spec.value:
        outer += [sql.SQL("count(v)"), sql.SQL("coalesce(sum(v), 0)")]
    else:
        outer += [sql.SQL("count(*)"), sql.SQL("0")]
    if metric.spec.type == "histogram":
        outer += [sql.SQL("count(*) FILTER (WHERE v <= {b})").format(b=sql.Literal(b))
                  for b in metric.all_bucket_bounds()]
    query = sql.SQL("SELECT {outer} FROM ({rows}) AS window_rows").format(
        outer=sql.SQL(", ").join(outer), rows=rows)
    if labels:
        query += sql.SQL(" GROUP BY ") + sql.SQL(", ").join(outer[:len(labels)])
    return query


def snapshot_query(metric: MetricConfig) -> sql.Composed:
    aggregate = sql.SQL("coalesce(sum({v}), 0)").format(v=_value(metric)) \
        if metric.spec.value else sql.SQL("count(*)")
    return _grouped(metric, [aggregate], _table(metric.table))


def _activity_by_user(metric: MetricConfig, since: str) -> sql.Composed:
    """Per user with activity logged since %(since)s: `prev`, the value the first such update
    replaced (the user's last_active_at at `since`; NULL if it had none or did not exist), `ts`
    when that update was logged, `at_high` the value as of %(high)s (None if the first update came
    after it) and `now_value` the latest value. A handful of rows per refresh interval."""
    prev, new = _column(metric, "log_previous_active_at"), _column(metric, "log_last_active_at")
    ts = _column(metric, "log_occurred_at")
    return sql.SQL(
        "SELECT (array_agg({prev} ORDER BY {ts}, {prev} NULLS FIRST))[1] AS prev, min({ts}) AS ts, "
        "(array_agg({new} ORDER BY {ts} DESC, {new} DESC) FILTER (WHERE {ts} < %(high)s))[1] AS at_high, "
        "(array_agg({new} ORDER BY {ts} DESC, {new} DESC))[1] AS now_value "
        "FROM {log} WHERE {ts} >= %({since})s GROUP BY {user}").format(
        prev=prev, new=new, ts=ts, user=_column(metric, "log_user_id"), log=_table(metric.ledger_table),
        since=sql.SQL(since))


def _windows() -> list[sql.Composable]:
    return [sql.SQL("{i}::interval").format(i=sql.Literal(i)) for i in ACTIVE_TIMEFRAMES.values()]


def _indexed_between(metric: MetricConfig, low: str, high: str) -> sql.Composed:
    """Users whose last_active_at lies in [low, high): a range of its index."""
    return sql.SQL("(SELECT count(*) FROM {users} WHERE {v} >= {low} AND {v} < {high})").format(
        users=_table(metric.table), v=_column(metric, "last_active_at"), low=sql.SQL(low), high=sql.SQL(high))


def active_users_seed_query(metric: MetricConfig) -> sql.Composed:
    """Per timeframe, the users whose last activity as of %(high)s lies in [high - window, high):
    those whose last_active_at lies there now (a range of its index, an entry per active user:
    the seed and the recount only), less those that got there by an update logged after high,
    plus those whose value before such an update lay there."""
    counts = [sql.SQL("{indexed} - (SELECT count(*) FROM activity WHERE now_value >= %(high)s - {w} "
                      "AND now_value < %(high)s) + (SELECT count(*) FROM activity WHERE prev >= %(high)s - {w} "
                      "AND prev < %(high)s)").format(
        indexed=_indexed_between(metric, f"%(high)s - {w.as_string(None)}", "%(high)s"), w=w)
        for w in _windows()]
    return sql.SQL("WITH activity AS ({activity}) SELECT {counts}").format(
        activity=_activity_by_user(metric, "high"), counts=sql.SQL(", ").join(counts))


def active_users_delta_query(metric: MetricConfig) -> sql.Composed:
    """Per timeframe, how the count moved from the window [low - w, low) to [high - w, high):
      + users updated in [low, high) whose value at high is inside the new window
      - users updated in [low, high) whose value at low was inside the old one
      - users not updated in [low, high) whose value slid out, at the tail [low - w, high - w):
        those whose last_active_at lies there now (a small range of its index), less those that
        got there by an update logged since low, plus those updated only after high whose previous
        value lay there.
    Then the number of users updated in [low, high)."""
    deltas = [sql.SQL(
        "count(*) FILTER (WHERE ts < %(high)s AND at_high >= %(high)s - {w} AND at_high < %(high)s) "
        "- count(*) FILTER (WHERE ts < %(high)s AND prev >= %(low)s - {w} AND prev < %(low)s) "
        "- {tail} "
        "+ count(*) FILTER (WHERE now_value >= %(low)s - {w} AND now_value < %(high)s - {w}) "
        "- count(*) FILTER (WHERE ts >= %(high)s AND prev >= %(low)s - {w} AND prev < %(high)s - {w})").format(
        w=w, tail=_indexed_between(metric, f"%(low)s - {w.as_string(None)}", f"%(high)s - {w.as_string(None)}"))
        for w in _windows()]
    updated = sql.SQL("count(*) FILTER (WHERE ts < %(high)s)")
    return sql.SQL("WITH activity AS ({activity}) SELECT {counts} FROM activity").format(
        activity=_activity_by_user(metric, "low"), counts=sql.SQL(", ").join(deltas + [updated]))


def transitions_query(metric: MetricConfig, with_lower_bound: bool) -> sql.Composed:
    """State changes stamped in [%(low)s, %(high)s): per pair of (state entered, state left) the
    number of rows; the state left is NULL for a row's first state. Both go through the same
    allowlist. Without the lower bound it is the full aggregate that seeds and recounts."""
    (label,) = metric.spec.labels
    ts = _column(metric, metric.spec.timestamp_role)
    previous = _column(metric, "previous_status")
    allowed = sql.Literal(list(metric.allowlists[label]))
    conditions = [sql.SQL("{ts} < %(high)s").format(ts=ts)]
    if with_lower_bound:
        conditions.insert(0, sql.SQL("{ts} >= %(low)s").format(ts=ts))
    return sql.SQL(
        "SELECT {entered}, CASE WHEN {p} IS NULL THEN NULL WHEN {p}::text = ANY({allowed}) THEN {p}::text "
        "ELSE {other} END, count(*) FROM {table} WHERE {conditions} GROUP BY 1, 2").format(
        entered=_label_exprs(metric)[0], p=previous, allowed=allowed, other=sql.Literal(OTHER),
        table=_table(metric.table), conditions=sql.SQL(" AND ").join(conditions))


def ratio_window_query(metric: MetricConfig) -> sql.Composed:
    """Per label set, the reviewed rows stamped in [%(low)s, %(high)s) whose outcome is in the
    numerator and in the denominator: one range of the reviewed_at index. The sliding window is
    kept by adding the rows that entered it and subtracting those that left it."""
    outcome = sql.SQL("{c}::text").format(c=_column(metric, "outcome"))
    aggregates = [
        sql.SQL("count(*) FILTER (WHERE {o} = ANY({v}))").format(o=outcome, v=sql.Literal(list(values)))
        for values in (metric.numerator, metric.denominator)]
    where = sql.SQL("{ts} >= %(low)s AND {ts} < %(high)s").format(ts=_column(metric, "reviewed_at"))
    return _grouped(metric, aggregates, _table(metric.table), where)


def balance_delta_query(metric: MetricConfig) -> sql.Composed:
    """Per label set of the wallets, the sum of their ledger entries stamped in [%(low)s, %(high)s):
    how the balances moved. One range of the ledger's timestamp index, joined to the wallets by
    their primary key."""
    labels = _label_exprs(metric, "w")
    query = sql.SQL("SELECT {columns} FROM {ledger} l JOIN {wallets} w ON w.{id} = l.{wallet} "
                    "WHERE l.{ts} >= %(low)s AND l.{ts} < %(high)s").format(
        columns=sql.SQL(", ").join(labels + [sql.SQL("coalesce(sum(l.{a}), 0)").format(
            a=sql.Identifier(metric.columns["ledger_amount"]))]),
        ledger=_table(metric.ledger_table), wallets=_table(metric.table),
        id=sql.Identifier(metric.columns["id"]), wallet=sql.Identifier(metric.columns["ledger_wallet_id"]),
        ts=sql.Identifier(metric.columns["ledger_created_at"]))
    return query + _group_by(labels)


def balance_total_query(metric: MetricConfig) -> sql.Composed:
    """Per label set, the balances as of %(high)s: today's balances minus the ledger entries
    stamped at or after it (read in the same snapshot), so later windows add those entries once."""
    labels = _label_exprs(metric, "w")
    query = sql.SQL("""
SELECT {outer}, sum(v) FROM (
    SELECT {labels}, w.{balance} AS v FROM {wallets} w
    UNION ALL
    SELECT {labels}, -l.{amount} FROM {ledger} l JOIN {wallets} w ON w.{id} = l.{wallet}
    WHERE l.{ts} >= %(high)s) AS balances""").format(
        outer=sql.SQL(", ").join(sql.SQL("l{i}").format(i=sql.SQL(str(i))) for i in range(len(labels))),
        labels=sql.SQL(", ").join(sql.SQL("{e} AS l{i}").format(e=e, i=sql.SQL(str(i)))
                                  for i, e in enumerate(labels)),
        balance=sql.Identifier(metric.columns["balance"]), wallets=_table(metric.table),
        amount=sql.Identifier(metric.columns["ledger_amount"]), ledger=_table(metric.ledger_table),
        id=sql.Identifier(metric.columns["id"]), wallet=sql.Identifier(metric.columns["ledger_wallet_id"]),
        ts=sql.Identifier(metric.columns["ledger_created_at"]))
    return query + _group_by(labels)


def _group_by(labels: list) -> sql.Composable:
    if not labels:
        return sql.SQL("")
    return sql.SQL(" GROUP BY ") + sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(labels)))


def reconciliation_full_query(metric: MetricConfig) -> sql.Composed:
    """Ids of the wallets whose balance differs from the sum of their whole ledger (a full scan
    of the ledger: start-up and the slow schedule only)."""
    return sql.SQL("""
SELECT w.{id} FROM {wallets} w
LEFT JOIN (SELECT {l_wallet} AS wallet_id, sum({l_amount}) AS total
           FROM {ledger} GROUP BY {l_wallet}) l ON l.wallet_id = w.{id}
WHERE w.{balance} IS DISTINCT FROM coalesce(l.total, 0)
""").format(wallets=_table(metric.table), ledger=_table(metric.ledger_table),
            id=_column(metric, "id"), balance=_column(metric, "balance"),
            l_wallet=_column(metric, "ledger_wallet_id"), l_amount=_column(metric, "ledger_amount"))


def reconciliation_changed_query(metric: MetricConfig) -> sql.Composed:
    """For each wallet with a ledger entry or a balance update stamped in [%(low)s, %(high)s):
    its id and whether its balance differs from the sum of its ledger, both read in one snapshot.
    Index ranges on the ledger's timestamp and wallets.updated_at find them; the ledger's
    wallet_id index sums each one's entries."""
    return sql.SQL("""
WITH changed AS (
    SELECT {l_wallet} AS id FROM {ledger} WHERE {l_ts} >= %(low)s AND {l_ts} < %(high)s
    UNION
    SELECT {id} FROM {wallets} WHERE {updated} >= %(low)s AND {updated} < %(high)s)
SELECT c.id, w.{id} IS NOT NULL AND w.{balance} IS DISTINCT FROM
       coalesce((SELECT sum(l.{l_amount}) FROM {ledger} l WHERE l.{l_wallet} = c.id), 0)
FROM changed c LEFT JOIN {wallets} w ON w.{id} = c.id
""").format(wallets=_table(metric.table), ledger=_table(metric.ledger_table),
            id=_column(metric, "id"), balance=_column(metric, "balance"),
            updated=_column(metric, "updated_at"), l_ts=_column(metric, "ledger_created_at"),
            l_wallet=_column(metric, "ledger_wallet_id"), l_amount=_column(metric, "ledger_amount"))


# At most one full scan (seed, recount, full reconciliation) at a time on a database, whichever
# exporter replica asks: replicas starting together queue here instead of doubling the load.
# A transaction-level advisory lock (released at the refresh's commit) works on a hot standby too.
FULL_SCAN_LOCK = sql.SQL("SELECT pg_advisory_xact_lock(hashtext('waqiti-business-metrics-exporter full scan'))")
