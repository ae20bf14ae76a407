"""信息互享 — information sharing (涪陵府办〔2024〕1号 二(一); rules INFO-xx)."""
