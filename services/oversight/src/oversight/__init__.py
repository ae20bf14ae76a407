"""xietong 督察 (oversight): every unit answers for how it cooperates (SUP-01/SUP-02)."""
