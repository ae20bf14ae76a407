"""xietong 消息通知 (notifier): outbound webhooks of what organisations must be told (issue 24)."""
