"""Request and response models of the notifier API."""

from notifier.domain import EventKind as EventKind
from notifier.schemas.requests import SecretRotation as SecretRotation
from notifier.schemas.requests import SubscriptionCreate as SubscriptionCreate
from notifier.schemas.requests import SubscriptionUpdate as SubscriptionUpdate
from notifier.schemas.responses import DeliveryAttemptOut as DeliveryAttemptOut
from notifier.schemas.responses import DeliveryOut as DeliveryOut
from notifier.schemas.responses import SubscriptionCreated as SubscriptionCreated
from notifier.schemas.responses import SubscriptionOut as SubscriptionOut
