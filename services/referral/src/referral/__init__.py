"""案件移送 — case referral (涪陵府办〔2024〕1号 二(三); rules REF-xx)."""
