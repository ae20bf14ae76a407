"""Chinese names of what a deadline says is owed (issue 24): one table for every service, so a
message, a to-do or a page names the action as staff say it (「书面答复是否受理」), not by its
code (`answer`). The words are the workbench's (its to-do list, `workbench/todo.py`), without
the time limits the messages state on their own.

A deadline's `action` is a code its mechanism chose (`answer`, `respond`), or a code with a
qualifier after a colon (`support:<request id>`, `supply-materials:round-2`): the name is the
code's before the colon, with the round of a `round-N` qualifier. Every code any service puts
on a deadline has its name here; tests/test_owed_actions.py reads the services' sources for
every deadline they start and fails on a code without one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MECHANISMS_ZH: Mapping[str, str] = {
    "info-sharing": "信息互享",
    "assistance": "执法协助",
    "referral": "案件移送",
    "legal-review": "法制审核",
    "joint-inspection": "综合查一次",
    "secondment": "下沉指导",
}

# mechanism -> action code (before any `:`) -> its Chinese name; the rule beside each.
OWED_ACTIONS_ZH: Mapping[str, Mapping[str, str]] = {
    "referral": {
        "send": "移送案件",  # REF-03: within 5 working days of finding (24 h if urgent)
        "inform": "及时告知有管辖权的单位",  # REF-04: an ongoing violation, promptly
        "receive": "签收并出具送达回证",  # REF-06: the service receipt
        "answer": "书面答复是否受理",  # REF-07: within 5 working days
        "file": "立案",  # REF-09: promptly once accepted
        "conclude": "在法定期限内办结",  # REF-09: within the procedure's statutory limit
    },
    "assistance": {
        "respond": "答复协助请求",  # ASSIST-04: accept or refuse, promptly
        "complete": "按约定日期完成协助",  # ASSIST-02/04: by the agreed date
    },
    "legal-review": {
        "supply-materials": "补正材料",  # REV-05: after the one-time notice of what is missing
    },
    "joint-inspection": {
        "consult": "答复联合检查协商",  # INSP-04: the town answers a department's proposal
        "support": "答复支持请求",  # INSP-03: a department asked for support
        "serious-report": "向区政府报告严重违法行为或重大隐患",  # INSP-08: to the district government
        "acknowledge": "确认服务短板",  # INSP-09: the department concerned
    },
}

_ROUND = re.compile(r"^round-(\d+)$")


def action_code(action: str) -> str:
    """The code of an action, without its qualifier (`support:<id>` → `support`)."""
    return action.partition(":")[0]


def action_zh(mechanism: str, action: str) -> str | None:
    """The Chinese name of `action` owed under `mechanism` (None: not in the table)."""
    name = OWED_ACTIONS_ZH.get(mechanism, {}).get(action_code(action))
    if name is None:
        return None
    qualifier = action.partition(":")[2]
    round_ = _ROUND.match(qualifier)
    return f"{name}（第{round_.group(1)}轮）" if round_ else name
