-- The applicant's rating of a dossier once its result was returned (chalicelib/ratings.py,
-- storage/ratings_postgres.py): one per dossier, the primary key says so.
CREATE TABLE ratings (
    code text PRIMARY KEY,
    office text NOT NULL,
    procedure text NOT NULL,
    at text NOT NULL,
    answers jsonb NOT NULL,
    comment text NOT NULL DEFAULT ''
);
