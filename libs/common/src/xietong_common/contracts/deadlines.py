"""Events about statutory deadlines (oversight, 三(四); SUP-01/SUP-02; reminders, issue 24).

Three topics, each keyed by the deadline's id (`deadline_id`), so every event about one
deadline is on one partition, in the order it happened:

- `deadline.lifecycle` — the accountability record: every fact of a deadline's life
  (started, met, breached, cancelled, closed, made final), one event each, once each.
  Oversight's ledger reads it.
- `deadline.breached` — the alert: a deadline was missed. Once per deadline, ever.
- `deadline.approaching` — the reminder: a deadline is due soon (once per lead time).

Every one of them carries the whole deadline as it stands (`DeadlineFacts`): who owes what
to whom, on which record, under which rule, started and due when, provisional or final. A
consumer that missed earlier events (or joined late) still knows the deadline from any one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.labels import LabelledEnum

ALL_MECHANISMS = (
    "info-sharing",
    "assistance",
    "referral",
    "legal-review",
    "joint-inspection",
    "secondment",
)
OVERSIGHT = "oversight (SUP-01/02)"
NOTIFIER = "notifier"


class BreachKind(LabelledEnum):
    """How the deadline was first found missed."""

    LATE_ACTION = (
        "late-action",
        "逾期办理",
        "done after the deadline",
    )  # the action happened, after the deadline, before the sweep saw it pass
    NO_ACTION = (
        "no-action",
        "逾期未办",
        "deadline passed with nothing done",
    )  # the deadline passed with nothing done (it may still be done, late: a `met` fact)


class DeadlineUnit(LabelledEnum):
    """How the deadline's length is counted."""

    WORKING_DAYS = "working_days", "工作日", "working days (with 调休)"
    CALENDAR_DAYS = "calendar_days", "日", "calendar days, to 24:00 China time"
    HOURS = "hours", "小时", "clock hours"
    AGREED = "agreed", "约定日期", "a moment the parties agreed (amount: the days it gave)"


class LifecycleKind(LabelledEnum):
    """What happened to a deadline."""

    STARTED = "started", "开始计时", "tracking started: the organisation owes the action"
    MET = "met", "已办理", "the owed action happened (on time or late: `late`)"
    BREACHED = "breached", "逾期", "the deadline was missed (`breach_kind`), once per deadline"
    CANCELLED = (
        "cancelled",
        "撤销",
        "no longer owed: replaced or restarted (an agreed extension, a corrected finding date)",
    )
    CLOSED = (
        "closed",
        "终结",
        "no longer owed: the case ended another way (withdrawn, refused, order ended)",
    )
    MADE_FINAL = (
        "made-final",
        "期限确定",
        "a provisional deadline was recomputed on a known holiday calendar",
    )


class _DeadlineNamed(IntegrationEvent):
    """Who owes what to whom, on which record, under which rule, due when: what every deadline
    event names (`deadline.breached` v1 carried these before the others were added)."""

    deadline_id: str = Field(
        description="id of the tracked deadline in the producing service; the Kafka key"
    )
    mechanism: str = Field(description="the producing service", examples=["referral"])
    rule: str = Field(description="the rule the deadline comes from", examples=["REF-07"])
    action: str = Field(description="the action that is owed", examples=["answer"])
    organisation: str = Field(
        description="the responsible organisation: the one that owes the action",
        examples=["dept:ecology-environment"],
    )
    counterparty: str | None = Field(
        default=None,
        description="the other party of the record, the one kept waiting (the referral's "
        "sender when the receiver owes REF-07); null where the record has none",
        examples=["town:lizhi"],
    )
    subject: str = Field(
        description="the record (case) the deadline is about, `<kind>:<id>`",
        examples=["referral:0b9c2f4e-3d1a-4c5e-9f00-8a7b6c5d4e3f"],
    )
    reference: str | None = Field(
        default=None,
        description="the record's human reference where one exists (a 送达回证 or case number)",
        examples=["涪移回〔2024〕12号"],
    )
    assignee: str | None = Field(
        default=None,
        description="the person the record names as owing the action (the `sub` of their "
        "token), where it names one",
    )
    due_at: datetime = Field(description="when the action is due (UTC)")


class DeadlineFacts(_DeadlineNamed):
    """The deadline as it stands, carried by every deadline event (not an event itself)."""

    unit: DeadlineUnit = Field(description="how the deadline's length is counted")
    amount: int = Field(ge=0, description="the length in `unit`", examples=[5])
    started_at: datetime = Field(description="when the clock started (UTC)")
    provisional: bool = Field(
        description="its holiday year is not yet known: the date counts weekends only, is "
        "counted in no breach, and is recomputed (`made-final`) once the year is loaded"
    )


@event(
    "deadline.breached",
    producers=ALL_MECHANISMS,
    consumers=(OVERSIGHT, NOTIFIER),
    summary="SUP-02: a statutory deadline was missed (once per deadline): who owed what to whom, "
    "on which record, under which rule",
    accountability=True,
)
class DeadlineBreached(_DeadlineNamed):
    """A statutory deadline was missed: by whom, to whom, on which record, under which rule,
    when it was due. Published once per deadline, ever, whichever of the sweep, a late
    action, a recomputed provisional date or the end of the case finds it first (deduplicated
    by `deadline_id` at the source); an action that comes later still is a `met` fact on
    `deadline.lifecycle`, not a second breach.

    Still version 1: the fields added since (`counterparty`, `reference`, `assignee`,
    `unit`, `amount`, `started_at`, `provisional`, `recorded_at`) are optional, because
    events published before them are kept on the topic (400 days) and a consumer replaying
    it reads those too. Those earlier events were keyed by the subject, not the deadline,
    and a late action after the sweep could publish a second one with the same
    `deadline_id` (dedupe on it when replaying them)."""

    unit: DeadlineUnit | None = Field(
        default=None, description="how the deadline's length is counted"
    )
    amount: int | None = Field(default=None, ge=0, description="the length in `unit`")
    started_at: datetime | None = Field(default=None, description="when the clock started")
    provisional: bool = Field(
        default=False, description="always false: a provisional deadline is never breached"
    )

    kind: BreachKind = Field(
        description="how it was first found missed: no-action (the sweep saw the date pass, "
        "or the case ended after it) or late-action (the action came late, before the sweep)"
    )
    actual_at: datetime | None = Field(
        default=None, description="when the action happened (null for no-action breaches)"
    )
    recorded_at: datetime | None = Field(
        default=None, description="when the producing service recorded the breach (UTC)"
    )


@event(
    "deadline.lifecycle",
    producers=ALL_MECHANISMS,
    consumers=(OVERSIGHT,),
    summary="SUP-01/02: what happened to a deadline (started, met, breached, cancelled, closed, "
    "made-final), in order per deadline",
    accountability=True,
)
class DeadlineLifecycle(DeadlineFacts):
    """What happened to a deadline, one fact per event, in order per deadline: `started`
    (every deadline, provisional ones too), then any of `made-final` (a provisional date
    recomputed), `breached` (once), `met` (on time or late), `cancelled` or `closed` (with a
    reason). The counts and rates of SUP-02 come from here: obligations started and due in a
    period (the denominator), met on time, met late, breached, ended otherwise, open.

    One topic for the whole lifecycle, with `kind`, rather than one topic per kind (the
    project's rule for events), because the consumer this stream is for, a ledger, needs
    each deadline's facts in the order they happened — a late `met` after its `breached`, a
    `made-final` after its `started`, nothing after `cancelled` — and Kafka orders events
    only within one partition of one topic. Keyed by `deadline_id`, one deadline's facts
    are one ordered stream; with a topic per kind a consumer would have to re-order them
    itself. The two kinds people are told about (`deadline.breached`, `deadline.approaching`)
    keep topics of their own, so a notifier or a webhook subscribes to just those.

    `replayed` facts were published afterwards, from the row, for a deadline tracked before
    this contract existed (so a ledger can count those too); they come in the same order.

    Reasons in use (`cancelled`: replaced or restarted; `closed`: the case ended otherwise):
    referral `finding-date-changed` (REF-03 restarted), `draft-withdrawn`; assistance
    `completion-date-extended`, `request-withdrawn`, `refused`; joint inspection
    `proposal-changed` (INSP-04 restarted), `order-cancelled`, `order-merged`,
    `order-closed`. A deadline whose date had passed unmet when it ended is `breached` first.
    """

    kind: LifecycleKind = Field(description="what happened")
    recorded_at: datetime = Field(description="when the producing service recorded the fact")
    actor: str | None = Field(
        default=None,
        description="the person who acted (met, cancelled or closed it; started it), where "
        "known; null for the service's own steps (the sweep, a recomputation)",
    )
    actor_org: str | None = Field(default=None, description="the organisation they acted for")
    satisfied_at: datetime | None = Field(
        default=None,
        description="`met`: when the action happened; `made-final`: when, if it already had",
    )
    late: bool | None = Field(
        default=None,
        description="`met` and `made-final` of a met deadline: the action came after the due "
        "date (null while the date is provisional: lateness is decided when it is made final)",
    )
    breach_kind: BreachKind | None = Field(default=None, description="`breached`: how")
    actual_at: datetime | None = Field(
        default=None, description="`breached` (late-action): when the action happened"
    )
    reason: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="`cancelled` and `closed`: why it is no longer owed, a stable code of the "
        "producing mechanism",
        examples=["request-withdrawn", "completion-date-extended"],
    )
    previous_due_at: datetime | None = Field(
        default=None, description="`made-final`: the provisional due date it replaces"
    )
    replayed: bool = Field(
        default=False,
        description="published afterwards from the row, for a deadline tracked before this "
        "contract existed",
    )

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        needs: dict[LifecycleKind, tuple[str, ...]] = {
            LifecycleKind.MET: ("satisfied_at",),
            LifecycleKind.BREACHED: ("breach_kind",),
            LifecycleKind.CANCELLED: ("reason",),
            LifecycleKind.CLOSED: ("reason",),
            LifecycleKind.MADE_FINAL: ("previous_due_at",),
        }
        missing = [f for f in needs.get(self.kind, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a `{self.kind.value}` fact needs {', '.join(missing)}")
        return self


@event(
    "deadline.approaching",
    producers=ALL_MECHANISMS,
    consumers=(NOTIFIER,),
    summary="Issue 24: a deadline is due soon (催办), once per lead time",
)
class DeadlineApproaching(DeadlineFacts):
    """A deadline is due soon (催办): published once per lead time (XIETONG_DEADLINE_REMINDER_
    LEADS, default 2 working days and 4 hours before due; for deadlines of 24 clock hours or
    less XIETONG_DEADLINE_REMINDER_LEADS_SHORT, default 4 hours and 1 hour), never for a
    deadline already met, ended or past due. Reminder times follow the holiday calendar in
    force when they come (recomputed when a schedule is installed). When the service finds
    several lead times passed at once (a deadline started late in its run), it sends the
    nearest to the due date only."""

    lead: str = Field(description="the lead time", examples=["2 working days", "4 hours"])
    lead_unit: DeadlineUnit = Field(description="working_days or hours")
    lead_amount: int = Field(ge=1, examples=[2])
    remind_at: datetime = Field(description="the moment the lead time began (UTC)")
    working_days_left: int = Field(
        description="working days from the day of the reminder (China time, not counted) "
        "through the due day"
    )
