from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from accounts.email_addresses import normalise_email, validate_plain_email
from accounts.places import US_STATES, validate_state, validate_timezone
from therapy_directory.validators import validate_single_line

# Staff who hold it read clients' bookings, sessions and group rosters (every read is
# audited); other staff get 404 there like anyone else (PRODUCT rule 11).
VIEW_CLIENT_RECORDS = "accounts.view_client_records"


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """The one normalisation (accounts.email_addresses), also what Django's own
        ``AbstractUser.clean`` (the admin's forms) applies."""
        return normalise_email(email or "")

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        validate_plain_email(email)
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.STAFF)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        """Log-in's look-up: exact equality on the normalised address, never ``iexact``
        (PostgreSQL's UPPER() folds look-alikes such as the dotless ı onto i)."""
        return self.get(email=normalise_email(str(username)))


class User(AbstractUser):
    """A person who signs in with an e-mail address: a client, a therapist or staff."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        THERAPIST = "therapist", "Therapist"
        STAFF = "staff", "Staff"

    username = None
    first_name = None
    last_name = None
    # Stored normalised (accounts.email_addresses): unique=True is the unique constraint
    # on the normalised value; user_email_ci_unique also keeps case variants out should a
    # writer ever bypass the normalisation.
    email = models.EmailField("e-mail address", unique=True, validators=[validate_plain_email])
    name = models.CharField(max_length=150, validators=[validate_single_line])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    state = models.CharField(
        "state you live in",
        max_length=2,
        choices=US_STATES,
        blank=True,
        validators=[validate_state],
    )
    timezone = models.CharField(
        "time zone", max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    email_reminders = models.BooleanField("e-mail me reminders before sessions", default=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        permissions = [("view_client_records", "Can view client records")]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["client", "therapist", "staff"]),
                name="user_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def is_client(self) -> bool:
        return self.role == self.Role.CLIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def therapist_pk(self) -> int | None:
        """The id of this person's therapist profile, or None (not a therapist)."""
        if not self.is_therapist:  # only therapists have a profile (register_user)
            return None
        therapist = getattr(self, "therapist", None)  # a missing one is an AttributeError
        return therapist.pk if therapist is not None else None

    @property
    def can_verify_licenses(self) -> bool:
        return self.is_active and self.is_staff and self.has_perm("providers.verify_license")

    @property
    def can_view_client_records(self) -> bool:
        """Staff who may read any client's bookings, sessions and group rosters (each read
        audited). Superusers have every permission, so they have this one."""
        return self.is_active and self.is_staff and self.has_perm(VIEW_CLIENT_RECORDS)


class SignupRequest(models.Model):
    """A sign-up waiting for its e-mail link: the account is created, with the password
    chosen then, only by whoever reads that mailbox. So the sign-up page answers the same
    whether or not the address has an account, and nobody can pre-register someone
    else's address with a password of their own."""

    email = models.EmailField(validators=[validate_plain_email])  # normalised
    name = models.CharField(max_length=150, validators=[validate_single_line])
    role = models.CharField(max_length=16, choices=User.Role.choices)
    state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    # SHA-256 of the link's secret: the database alone cannot complete a sign-up.
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["client", "therapist"]),
                name="signup_request_role_not_staff",
            ),
        ]
