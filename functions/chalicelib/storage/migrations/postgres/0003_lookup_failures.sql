-- Failed status lookups per client (an HMAC of its address), shared by every app process
-- (storage/lookups_postgres.py). One row per failure, deleted once its window has passed.
CREATE TABLE lookup_failures (
    client text NOT NULL,
    at double precision NOT NULL
);
CREATE INDEX lookup_failures_by_client ON lookup_failures (client, at);
CREATE INDEX lookup_failures_by_time ON lookup_failures (at);
