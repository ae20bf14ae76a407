"""CloudEvents envelope, event registry, topic namespace and Kafka admin/security: the low
layer of messaging (the outbox relay and the inbox consumer are `xietong_common.messaging`)."""
