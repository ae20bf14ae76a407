"""Signed checkpoints of the audit chain (`checkpoints`: the periodic job that signs and
publishes the head) and the chain's verification against them (`verification`). docs/audit.md.

Above the unit of work, jobs and the service context, which it uses; the chain itself, which
the unit of work writes to, stays below them in `xietong_common.audit`.
"""
