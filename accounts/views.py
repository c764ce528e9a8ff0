from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts.forms import (
    AccountForm,
    ChoosePasswordForm,
    EmailAuthenticationForm,
    EmailPasswordResetForm,
    RapportPasswordChangeForm,
    RapportSetPasswordForm,
    SignupForm,
)
from accounts.services import (
    EmailAlreadyRegistered,
    SignupLinkInvalid,
    complete_signup,
    pending_signup,
    request_signup,
    update_account,
)


@require_http_methods(["GET", "POST"])
def signup(request):
    """First step: who you are. The answer is always "check your e-mail", whether or not
    the address has an account (accounts.services.request_signup)."""
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        request_signup(
            email=data["email"],
            name=data["name"],
            role=data["role"],
            state=data["state"],
            timezone=data["timezone"],
        )
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request, token):
    """Second step, from the e-mailed link: choose a password; the account is made and
    the person logged in. A GET changes nothing (mail scanners open links)."""
    try:
        pending = pending_signup(token)
    except SignupLinkInvalid:
        return render(request, "accounts/signup_confirm.html", {"validlink": False}, status=404)
    form = ChoosePasswordForm(
        request.POST if request.method == "POST" else None,
        email=pending.email,
        name=pending.name,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = complete_signup(token=token, password=form.cleaned_data["password1"])
        except (SignupLinkInvalid, EmailAlreadyRegistered):
            messages.info(request, "This address already has an account: log in.")
            return redirect("accounts:login")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user.is_therapist:
            messages.success(
                request,
                "Welcome to Rapport. Complete your profile and submit a license: "
                "clients can find you once staff have verified it.",
            )
        else:
            messages.success(request, "Welcome to Rapport. Here are therapists in your state.")
        return redirect("accounts:home")
    return render(
        request,
        "accounts/signup_confirm.html",
        {"validlink": True, "form": form, "email": pending.email},
    )


@login_required
def home(request):
    """Where a signed-in person starts: therapists at their home (what needs attention),
    verifiers at the license queue, clients at the search for their state."""
    user = request.user
    if user.is_therapist and hasattr(user, "therapist"):
        return redirect("booking:dashboard_home")
    if user.can_verify_licenses:
        return redirect("providers:staff_licenses")
    if user.is_staff:
        return redirect("admin:index")
    url = reverse("providers:search")
    if user.state:
        url += "?" + urlencode({"state": user.state})
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    form = AccountForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        update_account(user=request.user, **form.cleaned_data)
        messages.success(request, "Your account is saved.")
        return redirect("accounts:account")
    return render(request, "accounts/account.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = EmailPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = RapportSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = RapportPasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)
