"""执法协助 — enforcement assistance (涪陵府办〔2024〕1号 二(二); rules ASSIST-xx)."""
