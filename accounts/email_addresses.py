"""The one normalisation of e-mail addresses: sign-up, log-in, the log-in lockout, password
reset and every look-up of an account by e-mail go through ``normalise_email``.

The rule:

1. strip surrounding white space;
2. Unicode NFKC: compatibility look-alikes become the plain letters they stand for
   (fullwidth ``ｌｉｓａ`` → ``lisa``, long s ``ſ`` → ``s``, ``＠`` → ``@``);
3. lower-case.

New addresses (sign-up, the admin, ``createsuperuser``) must be plain ASCII after that
(``validate_plain_email``); an international domain is given in its ``xn--`` form. So
every stored address is ASCII and lower-case, and an account is found by *exact
equality* on the normalised value, never ``iexact``: a letter that survives NFKC as
non-ASCII (dotless ``ı``, ``İ``, Cyrillic ``а``) can match no account, and the lockout,
which keys on the same function, counts every spelling that does reach an account
under that account's one key.

Why not NFKC + casefold and accept non-ASCII: PostgreSQL's ``UPPER()`` and Python's
``casefold()`` disagree on letters like ``ı`` and ``ß``, and mailbox providers disagree
on what a non-ASCII local part means; refusing them at sign-up leaves nothing for the
two to disagree about.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

NOT_PLAIN_MESSAGE = (
    "Use the plain-letter form of your e-mail address (a–z, 0–9 and punctuation). "
    "For an international domain name, use its xn-- form."
)


def normalise_email(value: str) -> str:
    """``value`` stripped, NFKC-normalised and lower-cased: the form every address is
    stored, compared and counted in (see the module's docstring). Idempotent."""
    return unicodedata.normalize("NFKC", value.strip()).lower()


def validate_plain_email(value: str) -> None:
    """A new address must be ASCII once normalised (accounts are looked up by exact
    equality, so a look-alike letter could otherwise make a second, confusable account)."""
    if isinstance(value, str) and not normalise_email(value).isascii():
        raise ValidationError(NOT_PLAIN_MESSAGE, code="email_not_plain")


class EmailAddressField(forms.EmailField):
    """A form's e-mail field, normalised (``normalise_email``) before it is validated."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_email(value) if value else value


class EmailAddressSerializerField(serializers.EmailField):
    """The API's e-mail field, normalised (``normalise_email``) before it is validated."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = normalise_email(data)
        return super().to_internal_value(data)
