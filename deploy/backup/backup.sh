#!/usr/bin/env bash
# xietong backups (compose's `backup` service; docs/deploy.md, "Backups and the restore
# drill"). One run writes $XIETONG_BACKUP_DIR/<UTC time>/:
#   <database>.dump                 pg_dump -Fc of every xietong database
#   checkpoints-<database>.jsonl    the service's own record of the audit checkpoints it
#                                   signed, as `xietong audit verify --checkpoints` reads
#                                   them: the evidence survives a lost Kafka disk
#   blobs/                          the uploaded materials (content-addressed, never changed:
#                                   hard links to the previous run's copy where unchanged)
#   SHA256SUMS, MANIFEST, .complete (written last: a run without it is incomplete)
# then deletes runs older than $XIETONG_BACKUP_KEEP_DAYS days (never the newest complete).
#
#   backup.sh            one run
#   backup.sh --loop     a run every $XIETONG_BACKUP_EVERY_S seconds (the compose service)
#   backup.sh --check    exit 0 if a complete run is younger than twice that (healthcheck)
#
# libpq's PGHOST, PGPORT, PGUSER and PGPASSWORD (or XIETONG_PGPASSWORD_FILE) say where;
# XIETONG_BACKUP_DATABASES lists the databases (default: every database named xietong_*).
set -euo pipefail
backup_dir="${XIETONG_BACKUP_DIR:-/backups}"
blob_dir="${XIETONG_BACKUP_BLOB_DIR:-/var/lib/xietong/blobs}"
every_s="${XIETONG_BACKUP_EVERY_S:-86400}"
keep_days="${XIETONG_BACKUP_KEEP_DAYS:-14}"
if [[ -n "${XIETONG_PGPASSWORD_FILE:-}" ]]; then
  PGPASSWORD="$(<"$XIETONG_PGPASSWORD_FILE")"
  export PGPASSWORD
fi

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

databases() {
  if [[ -n "${XIETONG_BACKUP_DATABASES:-}" ]]; then
    tr ' ,' '\n\n' <<<"$XIETONG_BACKUP_DATABASES" | sed '/^$/d'
  else
    psql -d postgres -AtX -v ON_ERROR_STOP=1 \
      -c "SELECT datname FROM pg_database WHERE datname LIKE 'xietong\_%' ORDER BY datname"
  fi
}

latest_complete() {
  local run
  for run in $(ls -1r "$backup_dir" 2>/dev/null); do
    if [[ -f "$backup_dir/$run/.complete" ]]; then
      echo "$backup_dir/$run"
      return 0
    fi
  done
  return 1
}

# The checkpoints a service recorded (audit_checkpoints), one signed checkpoint per line in
# the event's own field names; `deployment` is left out where the row has none, exactly as
# it was signed.
CHECKPOINTS_SQL="
SELECT json_strip_nulls(json_build_object(
  'service', service, 'chain_id', chain_id, 'seq', seq, 'hash', hash,
  'hash_algorithm', hash_alg,
  'signed_at', to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
  'key_id', key_id, 'signature_algorithm', signature_alg, 'signature', signature,
  'deployment', deployment))
FROM audit_checkpoints ORDER BY id"

run_once() {
  local stamp run previous db count
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  run="$backup_dir/$stamp"
  mkdir -p "$run"
  previous="$(latest_complete || true)"
  mapfile -t dbs < <(databases)
  if [[ ${#dbs[@]} -eq 0 ]]; then
    log "no database to back up"
    return 1
  fi
  for db in "${dbs[@]}"; do
    pg_dump -Fc -d "$db" -f "$run/$db.dump"
    if [[ "$(psql -d "$db" -AtX -c "SELECT to_regclass('audit_checkpoints') IS NOT NULL")" == t ]]; then
      psql -d "$db" -AtX -v ON_ERROR_STOP=1 -c "$CHECKPOINTS_SQL" >"$run/checkpoints-$db.jsonl"
    fi
    log "dumped $db"
  done
  if [[ -d "$blob_dir" ]]; then
    mkdir -p "$run/blobs"
    if [[ -n "$previous" && -d "$previous/blobs" ]]; then
      cp -al "$previous/blobs/." "$run/blobs/"
    fi
    cp -a -n "$blob_dir/." "$run/blobs/"
    count="$(find "$run/blobs" -type f | wc -l)"
    log "blobs: $count files"
  fi
  (
    cd "$run"
    find . -type f ! -name SHA256SUMS ! -name .complete -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS
    {
      echo "time: $stamp"
      echo "server: $(psql -d postgres -AtX -c 'SHOW server_version')"
      echo "pg_dump: $(pg_dump --version)"
      echo "databases: ${dbs[*]}"
    } >MANIFEST
  )
  touch "$run/.complete"
  log "complete: $run"
  prune "$run"
}

prune() {  # NEWEST
  local cutoff run
  cutoff="$(date -u -d "-${keep_days} days" +%Y%m%dT%H%M%SZ)"
  for run in $(ls -1 "$backup_dir"); do
    [[ "$backup_dir/$run" == "$1" ]] && continue
    [[ "$run" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || continue
    if [[ "$run" < "$cutoff" ]]; then
      rm -rf "${backup_dir:?}/$run"
      log "deleted $run (older than $keep_days days)"
    fi
  done
}

case "${1:-}" in
  --loop)
    while true; do
      run_once || log "run failed; next in ${every_s}s"
      sleep "$every_s"
    done
    ;;
  --check)
    newest="$(latest_complete)" || { echo "no complete backup yet"; exit 1; }
    age=$(( $(date +%s) - $(stat -c %Y "$newest/.complete") ))
    if (( age > 2 * every_s )); then
      echo "newest complete backup $newest is ${age}s old"
      exit 1
    fi
    echo "ok: $newest"
    ;;
  "")
    run_once
    ;;
  *)
    echo "usage: backup.sh [--loop | --check]" >&2
    exit 2
    ;;
esac
