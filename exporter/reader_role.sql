-- The exporter's database role: reads the tables of schema.sql and nothing else, can never
-- write, and learns when the oldest other open transaction started (so the watermark can wait
-- for late commits) without being able to read any other session's SQL text.
-- Run it as a superuser (or a role that is a member of pg_read_all_stats): that role owns the
-- horizon function below, which is what lets it see other roles' transactions.
-- Give the reader a password out of band:
--   ALTER ROLE business_metrics_reader PASSWORD '...';
DO $$ BEGIN
    CREATE ROLE business_metrics_reader LOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER ROLE business_metrics_reader SET default_transaction_read_only = on;
ALTER ROLE business_metrics_reader SET statement_timeout = '5min';
-- pg_monitor (pg_read_all_stats) would show the reader every session's query text, including
-- other transactions' INSERTs of emails and card digits. Earlier versions of this file granted it.
REVOKE pg_monitor FROM business_metrics_reader;
GRANT USAGE ON SCHEMA public TO business_metrics_reader;
-- Column grants leave personal data (email, card_last4, account_number, user ids) unreadable.
GRANT SELECT (id, source, user_type, kyc_status, created_at, last_active_at) ON users
    TO business_metrics_reader;
GRANT SELECT (id, status, currency, payment_method, amount, created_at, completed_at) ON payments
    TO business_metrics_reader;
GRANT SELECT (id, currency, user_type, balance, updated_at) ON wallets TO business_metrics_reader;
GRANT SELECT (wallet_id, operation_type, change_type, currency, amount, created_at) ON wallet_ledger
    TO business_metrics_reader;
GRANT SELECT (status, currency, payment_method, occurred_at) ON payment_events
    TO business_metrics_reader;
GRANT SELECT (source, currency, amount, recognized_at) ON revenue_entries TO business_metrics_reader;
GRANT SELECT (fee_type, currency, amount, collected_at) ON fees TO business_metrics_reader;
GRANT SELECT (previous_status, kyc_status, occurred_at) ON user_verification_events
    TO business_metrics_reader;
GRANT SELECT (user_id, previous_active_at, last_active_at, occurred_at) ON user_activity_events TO business_metrics_reader;
GRANT SELECT (risk_level, model_version, detection_type, outcome, created_at, reviewed_at)
    ON fraud_alerts TO business_metrics_reader;

-- The open-transaction horizon: the start of the oldest transaction open in this database in
-- any other session, and nothing else (no pid, role, query text or count). SECURITY DEFINER runs
-- it with its owner's right to see every session; the pinned search_path keeps a caller's own
-- objects from being resolved in its place.
CREATE SCHEMA IF NOT EXISTS business_metrics;
REVOKE ALL ON SCHEMA business_metrics FROM PUBLIC;
CREATE OR REPLACE FUNCTION business_metrics.oldest_open_transaction_start()
    RETURNS timestamptz
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT min(xact_start) FROM pg_catalog.pg_stat_activity
    WHERE datname = current_database()
      AND pid <> pg_catalog.pg_backend_pid()
      AND backend_type = 'client backend'
      AND xact_start IS NOT NULL
$$;
REVOKE ALL ON FUNCTION business_metrics.oldest_open_transaction_start() FROM PUBLIC;
GRANT USAGE ON SCHEMA business_metrics TO business_metrics_reader;
GRANT EXECUTE ON FUNCTION business_metrics.oldest_open_transaction_start() TO business_metrics_reader;
