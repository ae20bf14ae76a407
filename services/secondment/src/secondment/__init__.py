"""下沉指导 — secondment and guidance (涪陵府办〔2024〕1号 二(六); rules SEC-xx)."""
