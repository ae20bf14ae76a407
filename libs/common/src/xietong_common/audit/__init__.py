"""The audit trail: a hash-chained, append-only log (`chain`), its hash functions and
signature algorithms (`crypto`), the service's signing key (`keys`). docs/audit.md. Signed
checkpoints of the chain head and their verification stand above the unit of work, in
`xietong_common.attestation`.

Only the chain is handed on here (the unit of work appends to it); import the others from
their modules.
"""

from xietong_common.audit.chain import AuditEntry as AuditEntry
from xietong_common.audit.chain import ChainReport as ChainReport
from xietong_common.audit.chain import CheckpointClaim as CheckpointClaim
from xietong_common.audit.chain import append as append
from xietong_common.audit.chain import row_hash as row_hash
from xietong_common.audit.chain import sha256_append_after as sha256_append_after
from xietong_common.audit.chain import sha256_columns as sha256_columns
from xietong_common.audit.chain import sha256_one as sha256_one
from xietong_common.audit.chain import verify_chain as verify_chain
