"""The one therapist search, shared by the HTML page and ``GET /api/v1/therapists/``."""

from __future__ import annotations

import copy
import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.timezone import now
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import ModelChoiceField, ModelChoiceIterator
from drf_spectacular.utils import extend_schema_field

from accounts.places import US_STATES
from providers import geo
from providers.models import (
    AgeGroup,
    Faith,
    Format,
    Gender,
    Insurance,
    Language,
    Modality,
    Specialty,
    Therapist,
)


class ListedModelChoiceIterator(ModelChoiceIterator):
    """Iterates the field's queryset itself (one plain query, its rows then cached on the
    form's copy of the queryset) instead of a server-side cursor per iteration."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset:
            yield self.choice(obj)

    def __len__(self):
        extra = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self.queryset) + extra

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.queryset)


class ListedModelChoiceField(ModelChoiceField):
    """A choice among a short reference list (modalities, specialties, languages): the
    list is read once per form, for validating the value and for rendering the
    ``<select>`` alike, so a search page runs one query per list whatever is chosen."""

    iterator = ListedModelChoiceIterator

    def to_python(self, value):
        if self.null_label is not None and value == self.null_value:
            return value
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, key)
        for obj in self.queryset:
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


class YesNoSelect(forms.NullBooleanSelect):
    """Yes / no / either, handing the value as sent to the field: Django's select reads
    anything it does not know as "either", so ``?accepting=junk`` would be ignored."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    """true, false (or 1, 0, any case) or nothing; anything else is an error naming the
    field, like every other filter's bad value."""

    widget = YesNoSelect
    WORDS = {"true": True, "1": True, "false": False, "0": False}
    default_error_messages = {"invalid": "Choose true or false (or leave it out for either)."}

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.WORDS[str(value).strip().lower()]
        except KeyError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        pass  # None is "either"


class StrictBooleanFilter(django_filters.BooleanFilter):
    """Every yes/no filter of the project's searches (``accepting``)."""

    field_class = StrictNullBooleanField


# --- Distance (PRODUCT.md rule 13) ------------------------------------------------------
RADIUS_DEFAULT, RADIUS_MAX = 25, 100


class ZipCodeField(forms.CharField):
    """A 5-digit ZIP code the data knows; cleans to its ``geo.Place`` (one query)."""

    default_error_messages = {"invalid": geo.ZIP_MESSAGE}

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if not geo.ZIP_SHAPE.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        place = geo.locate(value)
        if place is None:
            raise ValidationError(geo.unknown_zip_message(value), code="unknown_zip")
        return place


@extend_schema_field({"type": "string", "pattern": "^[0-9]{5}$", "example": "10003"})
class ZipCodeFilter(django_filters.Filter):
    field_class = ZipCodeField


class TherapistFilter(django_filters.FilterSet):
    """Narrows any therapist queryset to the findable ones (a verified, unexpired license:
    in the chosen state, or anywhere) and applies the chosen filters."""

    state = django_filters.ChoiceFilter(
        label="State you live in",
        choices=US_STATES,
        method="filter_state",
        empty_label="Any state",
        help_text="Therapists licensed (and verified) to treat clients in this state.",
    )
    modality = ListedModelChoiceFilter(
        label="Therapy",
        queryset=Modality.objects.all(),
        to_field_name="slug",
        field_name="modalities",
        empty_label="Any therapy",
    )
    specialty = ListedModelChoiceFilter(
        label="Focus",
        queryset=Specialty.objects.all(),
        to_field_name="slug",
        field_name="specialties",
        empty_label="Any focus",
    )
    format = django_filters.ChoiceFilter(
        label="Format",
        choices=Format.choices,
        method="filter_format",
        empty_label="Any format",
    )
    language = ListedModelChoiceFilter(
        label="Language",
        queryset=Language.objects.all(),
        to_field_name="code",
        field_name="languages",
        empty_label="Any language",
    )
    accepting = StrictBooleanFilter(
        label="Accepting new clients", field_name="accepting_new_clients"
    )
    available_within = django_filters.NumberFilter(
        label="Opening within (days)", method="filter_available_within", min_value=0, max_value=365
    )
    fee_max = django_filters.NumberFilter(
        label="Fee up to (USD)", method="filter_fee_max", min_value=0, max_value=100000
    )
    q = django_filters.CharFilter(label="Name or keywords", method="filter_q", max_length=100)
    # --- Finding the right fit (PRODUCT rule 13): insurance and identity ---------------
    insurance = ListedModelChoiceFilter(
        label="Insurance",
        queryset=Insurance.objects.all(),
        to_field_name="slug",
        field_name="insurance",
        empty_label="Any insurance",
        help_text="Therapists in network with this plan.",
    )
    superbill = StrictBooleanFilter(
        label="Out of network, superbill provided", field_name="superbill"
    )
    gender = django_filters.ChoiceFilter(
        label="Therapist’s gender", choices=Gender.choices, empty_label="Any gender"
    )
    age_group = django_filters.ChoiceFilter(
        label="Ages served",
        choices=AgeGroup.choices,
        method="filter_age_group",
        empty_label="Any age",
    )
    lgbtq_affirming = StrictBooleanFilter(label="LGBTQ+ affirming", field_name="lgbtq_affirming")
    faith = ListedModelChoiceFilter(
        label="Faith-informed",
        queryset=Faith.objects.all(),
        to_field_name="slug",
        field_name="faith",
        empty_label="Any",
    )
    # --------------------------------------------------------------------------------------
    ordering = django_filters.ChoiceFilter(
        label="Sort by",
        choices=[
            ("name", "Name"),
            ("next_opening", "Next opening"),
            ("fee", "Fee, lowest first"),
            ("-fee", "Fee, highest first"),
            ("distance", "Distance, nearest first"),
        ],
        method="filter_ordering",
        empty_label=None,
    )

    # --- Distance (rule 13): near a ZIP code, within a radius ---------------------------
    near = ZipCodeFilter(
        label="Near ZIP code",
        method="filter_near",
        help_text="In-person therapists with an office this close; telehealth ones everywhere.",
    )
    radius = django_filters.NumberFilter(
        label="Distance",
        method="filter_radius",
        min_value=1,
        max_value=RADIUS_MAX,
        help_text=f"Miles from the ZIP code, up to {RADIUS_MAX}.",
        error_messages={
            "invalid": f"Choose a distance in miles, from 1 to {RADIUS_MAX}.",
            "min_value": f"Choose a distance in miles, from 1 to {RADIUS_MAX}.",
            "max_value": f"Choose a distance in miles, from 1 to {RADIUS_MAX}.",
        },
    )

    class Meta:
        model = Therapist
        fields: list[str] = []

    # django-filter deep-copies every filter for each FilterSet (so that each copy can
    # find its FilterSet), builds a form field from each copy and a new form class from
    # those fields: ~0.35 ms of CPU for each search (BENCHMARKS.md, "Search").
    # Here the declared filters are only read, never changed: ``filter_queryset`` calls
    # each with this FilterSet, and the form class is built once per process from copies
    # of them. Each form instance still deep-copies that class's fields (Django's own
    # rule: a form class is shared, its instances are not), so the per-search state -
    # the data, the errors, a list filter's queryset and its rows, the widgets' attributes
    # set by ``prepare_search_form`` and ``describe_errors`` - stays with the search.

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # BaseFilterSet.__init__ without its deep copy of every filter.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset if queryset is not None else Therapist.objects.all()
        self.request = request
        self.form_prefix = prefix

    @cached_property
    def filters(self) -> dict:
        """This FilterSet's own copies of the filters, as django-filter makes them (for
        code that asks for them; the search itself reads ``base_filters``)."""
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
        return filters

    @classmethod
    def shared_form_class(cls) -> type[forms.Form]:
        """The form class, built once (two threads racing to build it build two equal
        classes; either serves)."""
        form_class = cls.__dict__.get("_shared_form_class")
        if form_class is None:
            # A filter's field is built from its copy (a list filter's queryset is not
            # callable here: no request is needed), leaving the declared filters as they are.
            fields = {name: copy.deepcopy(f).field for name, f in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._shared_form_class = form_class
        return form_class

    def get_form_class(self):
        return self.shared_form_class()

    def filter_queryset(self, queryset):
        # Findable in the chosen state implies findable anywhere: one EXISTS, not two.
        # (At 100 000 therapists the redundant one doubled the cost of the page's COUNT.)
        state = self.form.cleaned_data.get("state")
        queryset = queryset.findable_in(state) if state else queryset.findable()
        # BaseFilterSet.filter_queryset, with the declared filters: a ``method`` filter
        # calls this FilterSet's method (what its FilterMethod does with its parent).
        for name, value in self.form.cleaned_data.items():
            filter_ = self.base_filters[name]
            if filter_.method is None:
                queryset = filter_.filter(queryset, value)
            elif value not in EMPTY_VALUES:
                method = filter_.method
                method = method if callable(method) else getattr(self, method)
                queryset = method(queryset, filter_.field_name, value)
        return queryset

    def filter_state(self, queryset, name, value):
        return queryset  # applied first, in filter_queryset

    def filter_format(self, queryset, name, value):
        return queryset.filter(formats__contains=[value]) if value else queryset

    def filter_available_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(
            next_opening__isnull=False, next_opening__lte=now() + dt.timedelta(days=int(value))
        )

    def filter_fee_max(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(fee__lte=value) | Q(sliding_scale=True))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        terms = Q()
        for word in value.split()[:8]:
            terms &= (
                Q(display_name__icontains=word)
                | Q(credentials__icontains=word)
                | Q(bio__icontains=word)
            )
        return queryset.filter(terms)

    def filter_age_group(self, queryset, name, value):
        return queryset.filter(age_groups__contains=[value]) if value else queryset

    def filter_ordering(self, queryset, name, value):
        order = {
            "next_opening": [F("next_opening").asc(nulls_last=True)],
            "fee": [F("fee").asc(nulls_last=True)],
            "-fee": [F("fee").desc(nulls_last=True)],
        }.get(value, [])
        if value == "distance":  # without ``near`` there is no distance: by name
            queryset = self._with_distance(queryset)
            if "distance_miles" in queryset.query.annotations:
                order = [F("distance_miles").asc(nulls_last=True)]
        return queryset.order_by(*order, "display_name", "id")

    # --- Distance (rule 13) -----------------------------------------------------------------

    def _with_distance(self, queryset):
        """Each therapist's ``distance_miles`` from the ``near`` ZIP code (NULL without an
        office), once, whichever of ``near`` and ``ordering`` asks first."""
        place = self.form.cleaned_data.get("near")
        if place is None or "distance_miles" in queryset.query.annotations:
            return queryset
        return queryset.annotate(distance_miles=geo.distance_miles_sql(place.lat, place.lon))

    def filter_near(self, queryset, name, place):
        """In-person therapists whose office is within the radius - through a bounding
        box on the indexed office latitude and longitude, then the exact distance for
        the rows inside it - and, unless ``format=in_person``, every therapist offering
        telehealth too, however far their office."""
        radius = float(self.form.cleaned_data.get("radius") or RADIUS_DEFAULT)
        box = geo.bounding_box(place.lat, place.lon, radius)
        within = Q(office_lat__gte=box.lat_min, office_lat__lte=box.lat_max)
        if box.lon_min is not None:
            within &= Q(office_lon__gte=box.lon_min, office_lon__lte=box.lon_max)
        within &= Q(formats__contains=[Format.IN_PERSON.value], distance_miles__lte=radius)
        queryset = self._with_distance(queryset)
        if self.form.cleaned_data.get("format") == Format.IN_PERSON:
            return queryset.filter(within)
        return queryset.filter(within | Q(formats__contains=[Format.TELEHEALTH.value]))

    def filter_radius(self, queryset, name, value):
        return queryset  # read by filter_near
