"""Use cases of the notifier: subscriptions, the deliveries consumed events make, sending."""

from notifier.service.common import ADMIN_ROLES as ADMIN_ROLES
from notifier.service.common import DELIVERY as DELIVERY
from notifier.service.common import SUBSCRIPTION as SUBSCRIPTION
from notifier.service.deliveries import fan_out as fan_out
from notifier.service.deliveries import fan_out_record_event as fan_out_record_event
from notifier.service.deliveries import list_attempts as list_attempts
from notifier.service.deliveries import list_deliveries as list_deliveries
from notifier.service.deliveries import redeliver as redeliver
from notifier.service.sending import deliver_due as deliver_due
from notifier.service.sending import delivery_job as delivery_job
from notifier.service.subscriptions import create_subscription as create_subscription
from notifier.service.subscriptions import delete_subscription as delete_subscription
from notifier.service.subscriptions import list_subscriptions as list_subscriptions
from notifier.service.subscriptions import rotate_secret as rotate_secret
from notifier.service.subscriptions import seal_stored_secrets as seal_stored_secrets
from notifier.service.subscriptions import update_subscription as update_subscription
