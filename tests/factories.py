import datetime as dt

import factory
import pytest
from django.contrib.auth.models import Permission
from django.utils.text import slugify
from django.utils.timezone import localdate, now

from accounts.models import User
from providers import geo
from providers.models import Insurance, License, LicenseDecision, Modality, Therapist

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    role = User.Role.CLIENT
    state = "NY"
    timezone = "America/New_York"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _zip_point(zip_code: str) -> tuple[float | None, float | None]:
    place = geo.locate(zip_code)
    return (place.lat, place.lon) if place else (None, None)


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.THERAPIST)
    display_name = factory.Faker("name")
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.display_name)}-{n}")
    credentials = "PhD, LCSW"
    bio = "I help adults with depression and loneliness using interpersonal therapy."
    formats = factory.LazyFunction(lambda: ["telehealth"])
    # In person needs an office (a database constraint).
    office_city = factory.LazyAttribute(lambda o: "Albany" if "in_person" in o.formats else "")
    office_state = factory.LazyAttribute(lambda o: "NY" if "in_person" in o.formats else "")
    fee = 150
    timezone = "America/New_York"
    # In person needs an office address and ZIP code; the coordinates are the ZIP's (as
    # providers.profiles copies them).
    office_address = factory.LazyAttribute(
        lambda o: "1 Washington Ave" if "in_person" in o.formats else ""
    )
    office_zip = factory.LazyAttribute(lambda o: "12207" if "in_person" in o.formats else "")
    office_lat = factory.LazyAttribute(lambda o: _zip_point(o.office_zip)[0])
    office_lon = factory.LazyAttribute(lambda o: _zip_point(o.office_zip)[1])

    @factory.post_generation
    def modalities(obj, create, extracted, **kwargs):
        if create:
            slugs = extracted if extracted is not None else ["ipt"]
            obj.modalities.set(Modality.objects.filter(slug__in=slugs))

    @factory.post_generation
    def insurance(obj, create, extracted, **kwargs):
        """``insurance=["aetna", ...]``: the plans' slugs (none by default)."""
        if create and extracted:
            obj.insurance.set(Insurance.objects.filter(slug__in=extracted))


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    therapist = factory.SubFactory(TherapistFactory)
    state = "NY"
    license_type = "LCSW"
    number = factory.Sequence(lambda n: f"LIC{n:06d}")
    expires_on = factory.LazyFunction(lambda: localdate() + dt.timedelta(days=365))
    status = License.Status.PENDING


def verified_license(**kwargs) -> License:
    """A license that went through verification (with its decision row)."""
    license = LicenseFactory(status=License.Status.VERIFIED, verified_on=localdate(), **kwargs)
    LicenseDecision.objects.create(
        license=license,
        action=LicenseDecision.Action.VERIFIED,
        decided_at=now(),
        source="test: state board look-up",
    )
    return license


def make_verifier(**kwargs) -> User:
    user = UserFactory(role=User.Role.STAFF, is_staff=True, **kwargs)
    user.user_permissions.add(Permission.objects.get(codename="verify_license"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def make_records_viewer(user: User | None = None, **kwargs) -> User:
    """Staff (``user``, or a new staff account) holding "Can view client records"."""
    if user is None:
        user = UserFactory(role=User.Role.STAFF, is_staff=True, **kwargs)
    user.user_permissions.add(Permission.objects.get(codename="view_client_records"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def client_user(db) -> User:
    return UserFactory(role=User.Role.CLIENT, state="NY")


@pytest.fixture
def therapist_user(db) -> User:
    return TherapistFactory().user


@pytest.fixture
def staff_verifier(db) -> User:
    return make_verifier()
