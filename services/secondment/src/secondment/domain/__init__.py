"""The rules of 下沉指导 (secondment and guidance, 涪陵府办〔2024〕1号 二(六); SEC-01..SEC-05). No I/O.

`teams`: modes, towns, versions and their order, who sees what (SEC-01, SEC-02, SEC-04);
`roster`: an imported sheet placed on the teams, and the difference of two versions (SEC-02);
`personnel`: what stays with the department (SEC-03); `guidance`: SEC-05. SEC-04's
eligibility itself is `xietong_common.mechanisms.roster.judge`, shared with every projection.
"""
