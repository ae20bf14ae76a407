"""Request and response models of the information sharing API."""

from info_sharing.schemas.requests import ComplaintIn as ComplaintIn
from info_sharing.schemas.requests import FeedbackRequestIn as FeedbackRequestIn
from info_sharing.schemas.requests import ItemFields as ItemFields
from info_sharing.schemas.requests import ItemIn as ItemIn
from info_sharing.schemas.requests import SubscriptionIn as SubscriptionIn
from info_sharing.schemas.responses import AttachmentOut as AttachmentOut
from info_sharing.schemas.responses import CategoryInfo as CategoryInfo
from info_sharing.schemas.responses import CategoryOut as CategoryOut
from info_sharing.schemas.responses import ComplaintOut as ComplaintOut
from info_sharing.schemas.responses import DueOut as DueOut
from info_sharing.schemas.responses import FeedbackRequestOut as FeedbackRequestOut
from info_sharing.schemas.responses import InboxEntry as InboxEntry
from info_sharing.schemas.responses import InboxSummary as InboxSummary
from info_sharing.schemas.responses import ItemOut as ItemOut
from info_sharing.schemas.responses import ItemSummary as ItemSummary
from info_sharing.schemas.responses import OverdueCount as OverdueCount
from info_sharing.schemas.responses import OverdueOut as OverdueOut
from info_sharing.schemas.responses import ReceiptCounts as ReceiptCounts
from info_sharing.schemas.responses import ReceiptOut as ReceiptOut
from info_sharing.schemas.responses import SearchHit as SearchHit
from info_sharing.schemas.responses import SearchPage as SearchPage
from info_sharing.schemas.responses import SubscriptionOut as SubscriptionOut
from info_sharing.schemas.responses import VersionOut as VersionOut
