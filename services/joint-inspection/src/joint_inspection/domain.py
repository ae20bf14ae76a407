"""The rules of 综合查一次 (joint inspection, 涪陵府办〔2024〕1号 二(五); INSP-xx). No I/O.

States are `LabelledEnum`s with their Chinese names; the transitions are one
`xietong_common.states.Transitions` table the service layer applies.
"""

from __future__ import annotations
