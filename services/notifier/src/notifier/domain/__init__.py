"""The rules of webhook delivery, without I/O: states, backoff, signatures, targets."""

from notifier.domain.deliveries import TRANSITIONS as TRANSITIONS
from notifier.domain.deliveries import DeliveryState as DeliveryState
from notifier.domain.deliveries import Step as Step
from notifier.domain.deliveries import backoff_s as backoff_s
from notifier.domain.deliveries import recipients as recipients
from notifier.domain.formats import WebhookFormat as WebhookFormat
from notifier.domain.formats import format_refusal as format_refusal
from notifier.domain.kinds import RECORD_EVENTS as RECORD_EVENTS
from notifier.domain.kinds import parties_of as parties_of
from notifier.domain.messages import Message as Message
from notifier.domain.messages import compose as compose
from notifier.domain.messages import mask_identity_numbers as mask_identity_numbers
from notifier.domain.sealing import SecretUnreadable as SecretUnreadable
from notifier.domain.sealing import is_sealed as is_sealed
from notifier.domain.sealing import seal as seal
from notifier.domain.sealing import unseal as unseal
from notifier.domain.signing import dingtalk_sign as dingtalk_sign
from notifier.domain.signing import new_secret as new_secret
from notifier.domain.signing import sign as sign
from notifier.domain.signing import signature_headers as signature_headers
from notifier.domain.targets import EventKind as EventKind
from notifier.domain.targets import forbidden_address as forbidden_address
from notifier.domain.targets import scheme_refusal as scheme_refusal
