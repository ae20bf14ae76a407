"""综合查一次 — joint inspection (inspect once) (涪陵府办〔2024〕1号 二(五); rules INSP-xx)."""
