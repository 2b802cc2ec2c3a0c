-- The waffle_flag table every env's flags.db holds (see scripts/make-example-dbs).
CREATE TABLE waffle_flag (name TEXT PRIMARY KEY, everyone INTEGER, percent REAL, note TEXT);
