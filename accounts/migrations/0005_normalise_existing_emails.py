"""Store every existing e-mail address normalised (accounts.email_addresses).

Addresses that normalise to the same value (``Lisa@x.com`` beside ``liſa@x.com``) are
near-duplicates: two accounts, perhaps two people. They are not merged and the migration
does not fail: those rows are left exactly as they are and their ids are reported, for
staff to resolve by hand. Log-in looks an account up by the normalised form, so until
then only a row already stored in that form can log in; the others cannot.

Pending sign-up links whose address is not plain ASCII once normalised could no longer
finish (new accounts must be ASCII): they are removed, and counted in the report."""

from collections import defaultdict

from django.db import IntegrityError, migrations, transaction

from accounts.email_addresses import normalise_email


def normalise_existing_emails(apps, schema_editor) -> list[list[int]]:
    """Normalise every account's and pending sign-up's address; return (and print) the
    groups of account ids whose addresses collide once normalised, left unchanged."""
    User = apps.get_model("accounts", "User")
    SignupRequest = apps.get_model("accounts", "SignupRequest")

    by_normal: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        by_normal[normalise_email(email)].append((pk, email))

    collisions = [[pk for pk, _ in rows] for rows in by_normal.values() if len(rows) > 1]
    for normal, rows in by_normal.items():
        if len(rows) != 1 or rows[0][1] == normal:
            continue
        pk = rows[0][0]
        try:
            with transaction.atomic():  # a savepoint: one refusal must not undo the rest
                User.objects.filter(pk=pk).update(email=normal)
        except IntegrityError:  # PostgreSQL's lower() folds it onto another address
            collisions.append([pk])

    unfinishable = [
        pk
        for pk, email in SignupRequest.objects.values_list("pk", "email")
        if not normalise_email(email).isascii()
    ]
    SignupRequest.objects.filter(pk__in=unfinishable).delete()
    for pk, email in SignupRequest.objects.values_list("pk", "email"):
        if email != normalise_email(email):
            SignupRequest.objects.filter(pk=pk).update(email=normalise_email(email))

    for ids in sorted(collisions):
        print(
            "\n  accounts: e-mail addresses of users "
            + ", ".join(str(pk) for pk in ids)
            + " are the same once normalised (or clash with another): left as they are. "
            "Only one already stored normalised can log in: change or merge the others."
        )
    if unfinishable:
        print(
            f"\n  accounts: removed {len(unfinishable)} pending sign-up link(s) with an "
            "address that is not plain ASCII (they could not finish)."
        )
    return sorted(collisions)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_normalised_emails_client_records_permission")]

    operations = [migrations.RunPython(normalise_existing_emails, migrations.RunPython.noop)]
