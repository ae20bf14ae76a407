"""Use cases of the oversight service: the ledger fed by events, and the assessment read."""

from oversight.service.assessment import (
    AssessmentFilters as AssessmentFilters,
)
from oversight.service.assessment import (
    BreachFilters as BreachFilters,
)
from oversight.service.assessment import (
    assess as assess,
)
from oversight.service.assessment import (
    breaches as breaches,
)
from oversight.service.assessment import (
    choose_period as choose_period,
)
from oversight.service.assessment import (
    deadline as deadline,
)
from oversight.service.assessment import (
    facts_of as facts_of,
)
from oversight.service.common import DEADLINE as DEADLINE
from oversight.service.common import MECHANISM as MECHANISM
from oversight.service.common import sees_everyone as sees_everyone
from oversight.service.export import (
    build_workbook as build_workbook,
)
from oversight.service.export import (
    record_export as record_export,
)
from oversight.service.ledger import DeadlineReport as DeadlineReport
from oversight.service.ledger import (
    record_deadline_facts as record_deadline_facts,
)
from oversight.service.ledger import (
    record_fact as record_fact,
)
from oversight.service.rulings import Item as Item
from oversight.service.rulings import breach_facts as breach_facts
from oversight.service.rulings import etag as etag
from oversight.service.rulings import item as item
from oversight.service.rulings import outcomes_of as outcomes_of
from oversight.service.rulings import reply as reply
from oversight.service.rulings import rule as rule
from oversight.service.rulings import rulings as rulings
