#!/usr/bin/env bash
# Restores a run of backup.sh: checks its SHA256SUMS, recreates each database from its dump
# (with its owner and grants; its roles must exist: deploy/postgres/roles.sql) and copies the
# blobs back. Then verify the audit trail against the checkpoints the run carried:
#   xietong audit verify SERVICE --checkpoints RUN/checkpoints-xietong_<service>.jsonl
#
#   restore.sh RUN_DIR [DATABASE …]     default: every dump in the run
#
# libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD (or XIETONG_PGPASSWORD_FILE) name a superuser;
# XIETONG_RESTORE_BLOB_DIR is where blobs go (default /var/lib/xietong/blobs; "" skips).
# The services must be stopped first (`docker compose stop`): an existing database is
# dropped (WITH (FORCE)) and made again.
set -euo pipefail
run="${1:?usage: restore.sh RUN_DIR [DATABASE ...]}"
shift
blob_dir="${XIETONG_RESTORE_BLOB_DIR-/var/lib/xietong/blobs}"
if [[ -n "${XIETONG_PGPASSWORD_FILE:-}" ]]; then
  PGPASSWORD="$(<"$XIETONG_PGPASSWORD_FILE")"
  export PGPASSWORD
fi
if [[ ! -f "$run/.complete" ]]; then
  echo "restore: $run is not a complete backup (no .complete)" >&2
  exit 1
fi
(cd "$run" && sha256sum --quiet -c SHA256SUMS) || {
  echo "restore: $run fails its checksums: do not restore it" >&2
  exit 1
}
if [[ $# -gt 0 ]]; then
  dbs=("$@")
else
  mapfile -t dbs < <(cd "$run" && ls -1 ./*.dump | sed 's|^\./||; s|\.dump$||')
fi
for db in "${dbs[@]}"; do
  dump="$run/$db.dump"
  [[ -f "$dump" ]] || { echo "restore: no $dump" >&2; exit 1; }
  # --create: the database as it was dumped, with its owner, its grants (only its own roles
  # connect) and its default privileges; its roles must exist (deploy/postgres/roles.sql).
  psql -d postgres -v ON_ERROR_STOP=1 -qX -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  pg_restore -d postgres --create --exit-on-error "$dump"
  echo "restore: $db"
done
if [[ -n "$blob_dir" && -d "$run/blobs" ]]; then
  mkdir -p "$blob_dir"
  cp -a -n "$run/blobs/." "$blob_dir/"
  echo "restore: blobs into $blob_dir"
fi
echo "restore: done. Now: xietong audit verify SERVICE --checkpoints $run/checkpoints-<database>.jsonl"
