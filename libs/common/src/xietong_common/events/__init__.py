"""CloudEvents envelope, event registry, transactional outbox relay and inbox consumer."""
