"""The API's one parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): JSON, not too deep.

Its own module: DRF's settings import it while ``rest_framework.views`` is being
imported, so it must not import the views itself (therapy_directory/api.py does)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any body the API reads (a list of objects holding lists is 3 levels), far
# below where Python's parser runs out of stack (~1,000 levels, a RecursionError).
MAX_JSON_DEPTH = 32


def json_depth(data) -> int:
    """How many arrays and objects deep ``data`` nests (a scalar is 0), without recursion."""
    if not isinstance(data, dict | list):
        return 0
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, level = pending.pop()
        deepest = max(deepest, level)
        children = value.values() if isinstance(value, dict) else value
        pending.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


class StrictJSONParser(JSONParser):
    """The API's only parser (PRODUCT.md: JSON in and out): a view that reads a form or
    multipart body answers 415 and changes nothing. On top of DRF's: JSON nested deeper than
    ``MAX_JSON_DEPTH`` is a 400 ``{detail}`` (not a 500 from the parser's recursion).
    The size limit is ``DATA_UPLOAD_MAX_MEMORY_SIZE``, checked by Django when DRF reads
    the body (``RequestDataTooBig``; a 413 in ``exception_handler``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep_message()) from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(too_deep_message())
        return data


def too_deep_message() -> str:
    return f"JSON parse error - arrays and objects nest at most {MAX_JSON_DEPTH} levels deep."
