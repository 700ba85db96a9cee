"""Input fields and validators that accept only what the documentation says.

marshmallow's own fields convert with Python's int() and float(), which take far more than
a number written in ASCII: `٣` (Arabic-Indic), `２` (full-width), `3_0` (read as 30), ` 3`,
and int() fails with a ValueError beyond 4,300 digits. Its Regexp validator uses re.match,
where `$` also matches before a trailing newline (`59\n` passes `^[0-9]{2}$`). These
subclasses keep the OpenAPI types and patterns of their parents (apispec reads the parent
classes) and check the text first. Every numeric request parameter uses them.
"""

from __future__ import annotations

import re

from apiflask.fields import Float, Integer
from apiflask.validators import Regexp
from marshmallow import ValidationError

from geosvc.core.rules import DECIMAL_TEXT, INTEGER_TEXT, whole


class AsciiInteger(Integer):
    """A whole number: an int (not a bool, not 3.5), or a string of 1-15 ASCII digits, with a sign."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, str) and not INTEGER_TEXT.fullmatch(value)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class AsciiFloat(Float):
    """A number: an int or float (not a bool), or a decimal written in ASCII (`2.35`, `-0.5`, `1e-7`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class WholeMatch(Regexp):
    """Regexp that must match the whole value (fullmatch semantics: a trailing newline fails).

    Takes the documented `^...$` pattern, which goes to /openapi.json unchanged."""

    def __init__(self, regex: str, flags: int = 0, *, error: str | None = None):
        super().__init__(regex, flags, error=error)
        self._whole = whole(regex) if flags == 0 else re.compile(whole(regex).pattern, flags)

    def __call__(self, value: str) -> str:
        if self._whole.match(value) is None:
            raise ValidationError(self._format_error(value))
        return value
