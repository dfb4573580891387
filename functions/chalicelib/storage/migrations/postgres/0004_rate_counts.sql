-- Requests per key (an action and a client's HMAC, or the action for everyone) and fixed
-- window, shared by every app process (storage/rates_postgres.py). A window's first request of
-- a key deletes the rows of windows that ended.
CREATE TABLE rate_counts (
    key text NOT NULL,
    window_start double precision NOT NULL,
    expires double precision NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counts_by_expiry ON rate_counts (expires);
