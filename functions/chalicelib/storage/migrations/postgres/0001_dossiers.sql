-- Dossiers, their events and idempotency records, and the per-(agency, day) counters
-- (storage/postgres.py). Text columns the code compares as Python strings (queue_key, code)
-- use the "C" collation, so the database sorts them as ports.queue_key promises.
-- The dossier as filed and the events are stored as the exact JSON text the domain hashed
-- (jsonb would reorder keys and refuse \u0000 in an answer); the state is jsonb.
CREATE TABLE counters (
    agency text NOT NULL,
    day text NOT NULL,
    seq integer NOT NULL,
    PRIMARY KEY (agency, day)
);

CREATE TABLE dossiers (
    code text COLLATE "C" PRIMARY KEY,
    agency text NOT NULL,
    day text NOT NULL,
    seq integer NOT NULL,
    procedure text NOT NULL,
    status integer NOT NULL,
    received_at text NOT NULL,
    body text NOT NULL,
    office text NOT NULL,
    unit text NOT NULL DEFAULT '',
    channel text NOT NULL,
    applicant text NOT NULL,
    due_at text,
    queue_key text COLLATE "C" NOT NULL,
    version integer NOT NULL DEFAULT 0,
    state jsonb NOT NULL,
    UNIQUE (agency, day, seq)
);
CREATE INDEX dossiers_by_procedure ON dossiers (procedure, received_at);
CREATE INDEX dossiers_by_status ON dossiers (status, received_at);
CREATE INDEX dossiers_queue ON dossiers (office, status, queue_key);

CREATE TABLE events (
    code text COLLATE "C" NOT NULL REFERENCES dossiers (code),
    seq integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (code, seq)
);

CREATE TABLE idempotency (
    key text PRIMARY KEY,
    request_hash text NOT NULL,
    code text COLLATE "C" NOT NULL REFERENCES dossiers (code)
);
