-- Officers' accounts, their sessions and sign-in attempts (storage/accounts_postgres.py), as
-- storage/accounts_sqlite.py keeps them in var/officers.sqlite3 on the embedded target.
-- Sessions are stored by the SHA-256 of their token only.
CREATE TABLE accounts (
    id text PRIMARY KEY,
    username text NOT NULL UNIQUE,
    name text NOT NULL,
    password_hash text NOT NULL,
    roles text[] NOT NULL,
    offices text[] NOT NULL,
    created_at double precision NOT NULL,
    disabled boolean NOT NULL DEFAULT false
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    created_at double precision NOT NULL,
    last_seen double precision NOT NULL,
    expires_at double precision NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE attempts (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    client text NOT NULL,
    at double precision NOT NULL
);
CREATE INDEX attempts_by_username ON attempts (username, at);
CREATE INDEX attempts_by_client ON attempts (client, at);
CREATE INDEX attempts_by_time ON attempts (at);
