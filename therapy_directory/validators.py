"""Validators shared by every app's models, forms and serializers."""

from django.core.exceptions import ValidationError

# Line and paragraph breaks of every kind (str.splitlines() splits on each of these):
# a name with one would add its own line to the e-mails and calendars it appears in.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def validate_single_line(value: str) -> None:
    """Names, display names and credentials are one line of text."""
    if isinstance(value, str) and any(ch in _LINE_BREAKS for ch in value):
        raise ValidationError("Use one line, without line breaks.", code="single_line")
