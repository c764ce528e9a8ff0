"""The search panel's form parts rendered in Python, character for character what
Django's form templates produce: a ``<select>`` (``select.html`` / ``select_option.html``),
and, through :class:`PythonFormRenderer`, labels (``label.html``) and ``<input>`` widgets
(``input.html`` and the templates that only include it).

The search panel's selects hold ~90 options (51 states, the modalities, specialties and
languages): rendered through a template include per option they took about a quarter of
the search page's time at 100 000 therapists (BENCHMARKS.md, "Search"); the ten labels and
three inputs, one template render each, another tenth of its CPU time once the cards and
selects were in Python. tests/providers/test_widgets.py compares each with Django's
templates on hostile values."""

from __future__ import annotations

import html

from django import forms
from django.forms.renderers import BaseRenderer, DjangoTemplates, get_default_renderer
from django.forms.widgets import ChoiceWidget
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
LABEL_TEMPLATE = "django/forms/label.html"
INPUT_TEMPLATE = "django/forms/widgets/input.html"
# Django's widget templates that are ``{% include "django/forms/widgets/input.html" %}``
# and nothing else.
INPUT_TEMPLATES = {INPUT_TEMPLATE} | {
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "password", "search", "tel", "hidden")
}


def esc(value) -> str:
    """``conditional_escape`` (what ``{{ value }}`` does), skipping its lazy-argument
    wrapper and ``SafeString`` for a plain ``str``: Django's ``escape`` is ``html.escape``,
    so the characters are the same. The search page escapes ~600 values."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value)


def _value(value) -> str:
    """``{{ value|stringformat:'s' }}``: escaped unless it was marked safe."""
    return value if isinstance(value, SafeData) else html.escape(f"{value}")


def _attrs(attrs: dict) -> str:
    """What ``django/forms/widgets/attrs.html`` renders."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {esc(name)}")
        else:
            parts.append(f' {esc(name)}="{_value(value)}"')
    return "".join(parts)


def _label(context: dict) -> str:
    """``label.html``: ``<label for=…>label</label>``, or the bare label without an id."""
    label = esc(context["label"])
    if not context["use_tag"]:
        return label
    tag = esc(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _input(context: dict) -> str:
    widget = context["widget"]
    value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
    return (
        f'<input type="{esc(widget["type"])}" '
        f'name="{esc(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


class PythonFormRenderer(BaseRenderer):
    """The default form renderer, except for labels and ``<input>`` widgets, written here
    in Python when the default renderer is Django's own (its templates unchanged: an app
    overriding one of them is caught by the tests, which compare with the templates)."""

    def get_template(self, template_name):
        return get_default_renderer().get_template(template_name)

    def render(self, template_name, context, request=None):
        default = get_default_renderer()
        if type(default) is DjangoTemplates:
            if template_name == LABEL_TEMPLATE:
                return _label(context)
            if template_name in INPUT_TEMPLATES and "type" in context["widget"]:
                return _input(context)
        return default.render(template_name, context, request)


def _select(name: str, attrs: dict, groups) -> str:
    """``select.html``, given ``(group name, [(value, option attrs, label)])`` groups."""
    parts = [f'<select name="{esc(name)}"{_attrs(attrs)}>']
    for group_name, options in groups:
        if group_name:
            parts.append(f'\n  <optgroup label="{esc(group_name)}">')
        parts.extend(
            f'\n  <option value="{_value(value)}"{option_attrs}>{esc(label)}</option>\n'
            for value, option_attrs, label in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


class PythonRenderedSelectMixin:
    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != SELECT_TEMPLATE or self.option_template_name != OPTION_TEMPLATE:
            return super().render(name, value, attrs, renderer)  # a customised template
        if self._plain_options():
            html = _select(name, self._select_attrs(attrs), self._groups(self.format_value(value)))
        else:
            widget = self.get_context(name, value, attrs)["widget"]
            groups = (
                (group, [(o["value"], _attrs(o["attrs"]), o["label"]) for o in options])
                for group, options, _ in widget["optgroups"]
            )
            html = _select(widget["name"], widget["attrs"], groups)
        # Every part is escaped in _select and _attrs; tests/providers/test_widgets.py
        # compares with Django's own templates on hostile labels and values.
        return mark_safe(html)  # noqa: S308  # nosec B308 B703

    def _plain_options(self) -> bool:
        """Options as ``Select`` makes them (no per-option attributes but ``selected``):
        rendered straight from the choices, without ``get_context``'s dict per option."""
        cls = type(self)
        return (
            cls.get_context is forms.Select.get_context
            and cls.optgroups is ChoiceWidget.optgroups
            and cls.create_option is ChoiceWidget.create_option
            and not self.option_inherits_attrs
            and "id" not in self.checked_attribute
        )

    def _select_attrs(self, attrs) -> dict:
        """``Select.get_context``'s attributes."""
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        return attrs

    def _groups(self, values: list[str]) -> list:
        """``ChoiceWidget.optgroups``, as ``(group name, [(value, attrs, label)])``."""
        groups = []
        has_selected = False
        checked = _attrs(self.checked_attribute)
        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):
                group_name, choices = option_value, option_label
            else:
                group_name = None
                choices = [("" if option_value is None else option_value, option_label)]
            options = []
            for subvalue, sublabel in choices:
                selected = (not has_selected or self.allow_multiple_selected) and str(
                    subvalue
                ) in values
                has_selected |= selected
                options.append((subvalue, checked if selected else "", sublabel))
            groups.append((group_name, options))
        return groups


class PythonRenderedSelect(PythonRenderedSelectMixin, forms.Select):
    pass
