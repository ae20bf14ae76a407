"""Use cases of the legal-review service; each runs inside one unit of work.

Import as `from legal_review import service as review_service`.
"""

from legal_review.service.common import MECHANISM as MECHANISM
from legal_review.service.common import REVIEW as REVIEW
from legal_review.service.documents import review_drafts as review_drafts
from legal_review.service.reviewing import add_joint as add_joint
from legal_review.service.reviewing import add_justice_office as add_justice_office
from legal_review.service.reviewing import decide as decide
from legal_review.service.reviewing import give_advice as give_advice
from legal_review.service.reviewing import give_joint_opinion as give_joint_opinion
from legal_review.service.reviewing import give_opinion as give_opinion
from legal_review.service.reviewing import record_point as record_point
from legal_review.service.reviewing import take as take
from legal_review.service.submission import add_material as add_material
from legal_review.service.submission import evaluate as evaluate
from legal_review.service.submission import notify_missing as notify_missing
from legal_review.service.submission import resubmit as resubmit
from legal_review.service.submission import submit as submit
from legal_review.service.submission import supply as supply
