"""The rules of 信息互享 (information sharing, 涪陵府办〔2024〕1号 二(一); INFO-01..INFO-04). No I/O.

`categories` (INFO-01: the nine categories and who publishes each), `secrecy` (INFO-02:
markings of state secrets), `items` (states, transitions, visibility, versions), `inbox`
(INFO-03: subscriptions, recipients, the unread-item setting), `search` (Chinese words and
highlighted snippets).
"""

from info_sharing.domain import categories as categories
from info_sharing.domain import inbox as inbox
from info_sharing.domain import items as items
from info_sharing.domain import search as search
from info_sharing.domain import secrecy as secrecy
from info_sharing.domain.categories import Category as Category
from info_sharing.domain.items import ItemState as ItemState
from info_sharing.domain.items import Step as Step
from info_sharing.domain.secrecy import Classification as Classification
