"""Validation errors as a clerk reads them, in Chinese (or English): the same wording for a
request body, a query parameter and a row of an imported spreadsheet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xietong_common.errors import Lang

# pydantic's error types, as a clerk reads them in Chinese (`{…}` from the error's context).
_VALIDATION_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "string_type": "须为文本",
    "string_pattern_mismatch": "格式不正确",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "greater_than_equal": "不得小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "不得大于 {le}",
    "less_than": "须小于 {lt}",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "小数最多 {decimal_places} 位",
    "finite_number": "须为有限的数字",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "uuid_parsing": "须为 UUID",
    "uuid_type": "须为 UUID",
    "datetime_parsing": "须为带时区的 ISO 8601 时间",
    "datetime_from_date_parsing": "须为带时区的 ISO 8601 时间",
    "datetime_type": "须为带时区的 ISO 8601 时间",
    "timezone_aware": "须带时区偏移（如 +08:00）",
    "date_parsing": "须为 YYYY-MM-DD 日期",
    "date_from_datetime_parsing": "须为 YYYY-MM-DD 日期",
    "date_type": "须为 YYYY-MM-DD 日期",
    "dict_type": "须为对象",
    "model_attributes_type": "须为对象",
    "model_type": "须为对象",
    "list_type": "须为数组",
    "json_invalid": "不是有效的 JSON",
    "forbidden_character": "文本不得包含控制字符（如 NUL）或双向控制字符",
    "invisible_text": "须包含可见字符，不能只有不可见字符（如零宽空格）",
    "single_line": "只能为一行，不得换行",
    "implausible_year": "年份须在 {low} 至 {high} 之间",
    "iso_datetime": "须为 ISO 8601 日期时间（如 2024-02-26T10:00:00+08:00）",
    "iso_date": "须为 ISO 8601 日期（如 2024-02-26）",
    "identity_number": "证件号码无效（第 {position} 位有误）",
    "org_code": "不是有效的机构代码",
}


def describe_error(error: Mapping[str, Any], lang: Lang = "zh") -> str:
    """A pydantic error (`{"type", "msg", "ctx"}`) in the reader's language."""
    if lang != "zh":
        return str(error.get("msg"))
    template = _VALIDATION_ZH.get(str(error.get("type")))
    if template is None:
        return str(error.get("msg"))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("：: ") or str(error.get("msg"))
