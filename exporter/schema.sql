-- Reference schema of the platform tables the business metrics exporter reads.
-- Operators whose tables or columns are named differently map them in config.yml (or expose a
-- view with these columns); the exporter checks every mapped column at start.
--
-- What the exporter relies on:
--   * event tables (payment_events, wallet_ledger, revenue_entries, fees, user_verification_events,
--     user_activity_events, and users/fraud_alerts for their creation time) are append-only: a row, once committed, keeps its timestamp;
--   * each such timestamp is set no earlier than the start of the inserting transaction
--     (DEFAULT now() does exactly that), and has an index: incremental refreshes read one
--     index range per interval;
--   * wallets.updated_at is set to now() whenever a balance changes (with or without a ledger
--     entry), and fraud_alerts.reviewed_at once, at review: the reconciliation and the review
--     ratios read only what changed in each window;
--   * columns such as email, account_number or card_last4 are never read as labels.
--
-- Indexes the exporter's queries rely on (it checks them at start and logs a warning naming any
-- missing one and the query that needs it; without it that query scans the whole table):
--   payment_events_occurred_at_idx, payments_created_at_idx, payments_completed_at_idx,
--   wallet_ledger_created_at_idx, revenue_entries_recognized_at_idx, fees_collected_at_idx,
--   users_created_at_idx, fraud_alerts_created_at_idx    one range per refresh of the counters
--   wallet_ledger_created_at_idx + wallets_pkey          balance gauge: ledger entries of the window
--   wallet_ledger_created_at_idx, wallets_updated_at_idx wallets changed in the window
--   wallet_ledger_wallet_id_amount_idx + wallets_pkey    each changed wallet's ledger sum (index-only:
--                                                        the index covers the amount) and balance
--   fraud_alerts_reviewed_at_idx                         reviews entering and leaving the 30-day window
--   user_activity_events_occurred_at_idx                 activity updates of the window
--   users_last_active_at_idx                             users whose last activity slid out of a
--                                                        timeframe (a window's tail); the seed
--   user_verification_events_occurred_at_idx             KYC status changes of the window
-- Foreign keys are left out: the exporter does not depend on them.

CREATE TABLE IF NOT EXISTS users (
    id              bigserial PRIMARY KEY,
    email           text NOT NULL,
    source          text NOT NULL,             -- organic, referral, paid_ads, partner, ...
    user_type       text NOT NULL,             -- personal, business, merchant
    kyc_status      text NOT NULL DEFAULT 'pending',  -- pending, verified, rejected, expired
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_active_at  timestamptz
);
CREATE INDEX IF NOT EXISTS users_created_at_idx ON users (created_at);
CREATE INDEX IF NOT EXISTS users_last_active_at_idx ON users (last_active_at);

-- Append-only KYC history: one row each time a user enters a KYC status (the first at
-- registration, with previous_status NULL). user_verification_status counts users per status
-- from it: +1 for the status entered, -1 for the one left, so a refresh reads only the changes
-- of its window. The triggers below write it from users itself, so the log cannot miss a change
-- made by any code path; a platform may write it from its own code instead (same columns).
CREATE TABLE IF NOT EXISTS user_verification_events (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    previous_status text,                      -- NULL for the first status (registration)
    kyc_status      text NOT NULL,             -- the status entered
    occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS user_verification_events_occurred_at_idx ON user_verification_events (occurred_at);

-- Append-only log of activity updates: one row each time users.last_active_at changes (or is set
-- at registration), with the value it replaced. last_active_at itself is overwritten in place, so
-- without the previous value a refresh could not tell a user entering the last day/week/month from
-- one already in it; with it, user_active_total reads only the updates of its window. The exporter
-- reads only rows newer than its watermark (minutes), so rows older than a day may be deleted.
-- last_active_at is only ever set to now() (never back-dated): the log row is stamped the same.
CREATE TABLE IF NOT EXISTS user_activity_events (
    id                  bigserial PRIMARY KEY,
    user_id             bigint NOT NULL,
    previous_active_at  timestamptz,           -- NULL for a first activity
    last_active_at      timestamptz NOT NULL,
    occurred_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS user_activity_events_occurred_at_idx ON user_activity_events (occurred_at);

-- The triggers write both logs from users itself, so no code path can change a KYC status or an
-- activity time without its log row; a platform may write the logs from its own code instead.
-- A registration's rows are stamped with the user's created_at, as user_registrations_total counts
-- it (imported users keep their own registration time); later changes with the change's now().
CREATE OR REPLACE FUNCTION users_log_registration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_verification_events (user_id, previous_status, kyc_status, occurred_at)
    SELECT id, NULL, kyc_status, created_at FROM registered;
    INSERT INTO user_activity_events (user_id, previous_active_at, last_active_at, occurred_at)
    SELECT id, NULL, last_active_at, created_at FROM registered WHERE last_active_at IS NOT NULL;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION users_log_kyc_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_verification_events (user_id, previous_status, kyc_status)
    VALUES (NEW.id, OLD.kyc_status, NEW.kyc_status);
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION users_log_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_activity_events (user_id, previous_active_at, last_active_at)
    VALUES (NEW.id, OLD.last_active_at, NEW.last_active_at);
    RETURN NULL;
END $$;
-- One statement-level insert per registration batch; the update triggers fire only on rows whose
-- kyc_status or last_active_at changed.
CREATE OR REPLACE TRIGGER users_registered AFTER INSERT ON users
    REFERENCING NEW TABLE AS registered FOR EACH STATEMENT EXECUTE FUNCTION users_log_registration();
CREATE OR REPLACE TRIGGER users_kyc_changed AFTER UPDATE OF kyc_status ON users
    FOR EACH ROW WHEN (OLD.kyc_status IS DISTINCT FROM NEW.kyc_status) EXECUTE FUNCTION users_log_kyc_change();
CREATE OR REPLACE TRIGGER users_active AFTER UPDATE OF last_active_at ON users
    FOR EACH ROW WHEN (NEW.last_active_at IS NOT NULL AND OLD.last_active_at IS DISTINCT FROM NEW.last_active_at)
    EXECUTE FUNCTION users_log_activity();

CREATE TABLE IF NOT EXISTS payments (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    status          text NOT NULL,             -- pending, completed, failed, refunded
    currency        text NOT NULL,             -- ISO 4217
    payment_method  text NOT NULL,             -- card, bank_transfer, wallet, mobile_money, ...
    amount          numeric(18, 2) NOT NULL,
    card_last4      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz                -- set once, when the payment completes or fails
);
CREATE INDEX IF NOT EXISTS payments_created_at_idx ON payments (created_at);
CREATE INDEX IF NOT EXISTS payments_completed_at_idx ON payments (completed_at);

-- Append-only status history: one row each time a payment enters a status (pending first).
CREATE TABLE IF NOT EXISTS payment_events (
    id              bigserial PRIMARY KEY,
    payment_id      bigint NOT NULL,
    status          text NOT NULL,
    currency        text NOT NULL,
    payment_method  text NOT NULL,
    occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payment_events_occurred_at_idx ON payment_events (occurred_at);

CREATE TABLE IF NOT EXISTS wallets (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    account_number  text NOT NULL,
    currency        text NOT NULL,
    user_type       text NOT NULL,             -- the owner's type, kept on the wallet
    balance         numeric(20, 2) NOT NULL DEFAULT 0,  -- must equal the sum of its ledger entries
    updated_at      timestamptz NOT NULL DEFAULT now()  -- set to now() on every balance change
);
CREATE INDEX IF NOT EXISTS wallets_updated_at_idx ON wallets (updated_at);

-- Append-only: credits are positive amounts, debits negative.
CREATE TABLE IF NOT EXISTS wallet_ledger (
    id              bigserial PRIMARY KEY,
    wallet_id       bigint NOT NULL,
    operation_type  text NOT NULL,             -- deposit, withdrawal, transfer_in, transfer_out, payment, refund, fee
    change_type     text NOT NULL,             -- credit, debit
    currency        text NOT NULL,
    amount          numeric(20, 2) NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS wallet_ledger_created_at_idx ON wallet_ledger (created_at);
-- Covers the amount, so a wallet's ledger sum reads the index only (the ledger is append-only,
-- so its pages stay all-visible once vacuumed): no heap page per entry.
CREATE INDEX IF NOT EXISTS wallet_ledger_wallet_id_amount_idx ON wallet_ledger (wallet_id) INCLUDE (amount);

CREATE TABLE IF NOT EXISTS revenue_entries (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,             -- transaction_fees, subscriptions, fx_spread, interchange
    currency        text NOT NULL,
    amount          numeric(18, 2) NOT NULL,
    recognized_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS revenue_entries_recognized_at_idx ON revenue_entries (recognized_at);

CREATE TABLE IF NOT EXISTS fees (
    id              bigserial PRIMARY KEY,
    payment_id      bigint,
    fee_type        text NOT NULL,             -- processing, fx_conversion, withdrawal, instant_transfer
    currency        text NOT NULL,
    amount          numeric(18, 2) NOT NULL,
    collected_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS fees_collected_at_idx ON fees (collected_at);

CREATE TABLE IF NOT EXISTS fraud_alerts (
    id              bigserial PRIMARY KEY,
    payment_id      bigint,
    user_id         bigint,
    risk_level      text NOT NULL,             -- low, medium, high, critical
    model_version   text NOT NULL,
    detection_type  text NOT NULL,             -- rule_based, ml_model, velocity, manual_review
    outcome         text NOT NULL DEFAULT 'pending',  -- pending, confirmed_fraud, false_positive
    created_at      timestamptz NOT NULL DEFAULT now(),
    reviewed_at     timestamptz
);
CREATE INDEX IF NOT EXISTS fraud_alerts_created_at_idx ON fraud_alerts (created_at);
CREATE INDEX IF NOT EXISTS fraud_alerts_reviewed_at_idx ON fraud_alerts (reviewed_at);
