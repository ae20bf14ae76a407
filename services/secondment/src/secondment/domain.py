"""The rules of 下沉指导 (secondment and guidance, 涪陵府办〔2024〕1号 二(六); SEC-xx). No I/O.

States are `LabelledEnum`s with their Chinese names; the transitions are one
`xietong_common.states.Transitions` table the service layer applies.
"""

from __future__ import annotations
