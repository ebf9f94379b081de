-- ASP.NET Core data protection keys (they sign the sign-in cookie and the anti-forgery tokens), shared by every
-- JobHub instance on this database and kept across restarts: a new process, or one without a writable home
-- folder (a container), must still accept the cookies the others issued.
CREATE TABLE data_protection_keys (
    id            bigserial PRIMARY KEY,
    friendly_name text NOT NULL,
    xml           text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
