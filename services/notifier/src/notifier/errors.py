"""Errors of the notifier service: one root, one problem type per refusal.

Each class has its English `title` and the Chinese `title_zh`; every raise gives its English
detail and the Chinese `zh=`.
"""

from __future__ import annotations

from xietong_common.errors import AppError, InvalidInput, InvalidTransition, NotFound


class NotifierError(AppError):
    """Root of the notifier service's errors."""

    slug = "notifier-error"
    title = "The notification request cannot be processed"
    title_zh = "无法处理该通知请求"


class SubscriptionNotFound(NotifierError, NotFound):
    """No such subscription, or one of another organisation (the same answer)."""

    slug = "notifier-subscription-not-found"
    title = "No such webhook subscription"
    title_zh = "未找到该订阅"


class DeliveryNotFound(NotifierError, NotFound):
    """No such delivery, or one of another organisation (the same answer)."""

    slug = "notifier-delivery-not-found"
    title = "No such webhook delivery"
    title_zh = "未找到该推送记录"


class TargetRefused(NotifierError, InvalidInput):
    """The webhook URL is not one the service may call: not https, or a host that resolves
    to a private, loopback, link-local or metadata address (SSRF), or one that does not
    resolve at all."""

    slug = "notifier-target-refused"
    title = "The webhook URL is not an allowed target"
    title_zh = "该回调地址不是允许的推送目标"


class DeliveryInvalidTransition(NotifierError, InvalidTransition):
    """The action is not allowed in the delivery's current state."""

    slug = "notifier-delivery-invalid-transition"
    title = "This action is not allowed in the delivery's current state"
    title_zh = "推送记录当前状态下不允许此操作"


class EventNotFromItsOwner(NotifierError, InvalidInput):
    """A deadline event whose source is not the mechanism it names: trusted from nobody."""

    slug = "notifier-event-not-from-its-owner"
    title = "The event names a mechanism other than the service that published it"
    title_zh = "事件所称的业务机制与发布该事件的服务不符"
