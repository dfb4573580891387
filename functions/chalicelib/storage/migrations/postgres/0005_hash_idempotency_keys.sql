-- Idempotency keys are stored as their SHA-256 (chalicelib/lookup_secret.py idempotency_hash),
-- so nobody reading the database learns a key, and with it the lookup secret sealed under it.
-- Rows written before that are converted here; a hashed key starts with "sha256:", which a key
-- as sent never holds (it has no colon).
UPDATE idempotency
SET key = 'sha256:' || encode(sha256(convert_to(key, 'UTF8')), 'hex')
WHERE key NOT LIKE 'sha256:%';
