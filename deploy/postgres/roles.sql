-- One service's database and its two roles (docs/deploy.md, "database roles"):
--   :owner   owns the database and its schema; only migrations log in as it
--            (`xietong migrate SERVICE`: compose's one-shot `migrate`, the chart's Job).
--   :app     the running service: SELECT, INSERT, UPDATE, DELETE on the tables the owner
--            makes, USAGE on its sequences, nothing else. It cannot ALTER, DROP or TRUNCATE
--            a table, so it cannot disable the audit log's append-only trigger, and it cannot
--            create objects.
-- Idempotent: run it again to set new passwords, or over an existing deployment whose
-- service role owned everything (it then becomes the owner and a new app role is added).
--
--   psql -v ON_ERROR_STOP=1 -v owner=referral -v app=referral_app \
--        -v db=xietong_referral -v owner_password=… -v app_password=… -f roles.sql
--
-- Run as a superuser or as a role with CREATEROLE and CREATEDB (a managed PostgreSQL's
-- admin). Needs PostgreSQL 14 or newer.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
-- psql quotes :'…' itself, so no character of a password can end the SQL literal.
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
-- Only its own roles may connect (every service has its database; none reaches another's).
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner", :"app";

\connect :"db"
-- The schema belongs to the owner; nobody else creates anything in it (PostgreSQL 15 and
-- newer revoke CREATE from PUBLIC already; 14 does not).
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- What the owner makes from now on (every migration), and what it made before.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
