-- The transactional outbox (chalicelib/outbox.py, storage/outbox_postgres.py): deliveries written
-- in the transaction of the dossier change that makes them, claimed by workers with
-- FOR UPDATE SKIP LOCKED. `body` holds the recipient and the template's data.
CREATE TABLE outbox (
    id text PRIMARY KEY,
    code text NOT NULL,
    office text NOT NULL,
    kind text NOT NULL,
    channel text NOT NULL,
    body jsonb NOT NULL,
    created_at double precision NOT NULL,
    next_at double precision NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    sent_at double precision
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX outbox_by_office ON outbox (office, state, created_at);
CREATE INDEX outbox_by_code ON outbox (code);
