-- The exporter's database role: reads the tables of schema.sql and nothing else, can never
-- write, and (through pg_monitor) sees other sessions' open transactions so the watermark can
-- wait for late commits. Give it a password out of band:
--   ALTER ROLE business_metrics_reader PASSWORD '...';
DO $$ BEGIN
    CREATE ROLE business_metrics_reader LOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER ROLE business_metrics_reader SET default_transaction_read_only = on;
ALTER ROLE business_metrics_reader SET statement_timeout = '5min';
GRANT pg_monitor TO business_metrics_reader;
GRANT USAGE ON SCHEMA public TO business_metrics_reader;
-- Column grants leave personal data (email, card_last4, account_number, user ids) unreadable.
GRANT SELECT (id, source, user_type, kyc_status, created_at, last_active_at) ON users
    TO business_metrics_reader;
GRANT SELECT (id, status, currency, payment_method, amount, created_at, completed_at) ON payments
    TO business_metrics_reader;
GRANT SELECT (id, currency, user_type, balance) ON wallets TO business_metrics_reader;
GRANT SELECT (wallet_id, operation_type, change_type, currency, amount, created_at) ON wallet_ledger
    TO business_metrics_reader;
GRANT SELECT (status, currency, payment_method, occurred_at) ON payment_events
    TO business_metrics_reader;
GRANT SELECT (source, currency, amount, recognized_at) ON revenue_entries TO business_metrics_reader;
GRANT SELECT (fee_type, currency, amount, collected_at) ON fees TO business_metrics_reader;
GRANT SELECT (risk_level, model_version, detection_type, outcome, created_at, reviewed_at)
    ON fraud_alerts TO business_metrics_reader;
