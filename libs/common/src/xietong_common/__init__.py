"""xietong_common — the shared backbone of xietong (协同)."""
