"""A ``<select>`` rendered in Python, character for character what Django's
``select.html`` / ``select_option.html`` templates produce.

The search panel's selects hold ~90 options (51 states, the modalities, specialties and
languages): rendered through a template include per option they took about a quarter of
the search page's time at 100 000 therapists (BENCHMARKS.md, "Search")."""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """What ``django/forms/widgets/attrs.html`` renders."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(f"{value}")}"')
    return "".join(parts)


class PythonRenderedSelectMixin:
    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != SELECT_TEMPLATE or self.option_template_name != OPTION_TEMPLATE:
            return super().render(name, value, attrs, renderer)  # a customised template
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, group_choices, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in group_choices:
                parts.append(format_html('\n  <option value="{}"', f"{option['value']}"))
                parts.append(_attrs(option["attrs"]))
                parts.append(format_html(">{}</option>\n", option["label"]))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        # Every part is escaped above (format_html, conditional_escape); tests/providers/
        # test_widgets.py compares with Django's own templates on hostile labels and values.
        return mark_safe("".join(parts).strip())  # noqa: S308  # nosec B308 B703


class PythonRenderedSelect(PythonRenderedSelectMixin, forms.Select):
    pass
