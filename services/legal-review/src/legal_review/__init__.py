"""法制审核 — legal review of major enforcement decisions (涪陵府办〔2024〕1号 二(四); rules REV-xx)."""
