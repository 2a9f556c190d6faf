"""Sign-up that answers the same, in the same time, whether or not the address has an account.

allauth already gives the same answer (ACCOUNT_PREVENT_ENUMERATION): no account is created
for a known address, its owner is e-mailed instead, and both paths end on the same "check your
e-mail" page. But only the new account's password is hashed, and a hash is made to be slow:
the time of the answer told whether the address was known. The known path hashes the password
it was given too, and throws the hash away. Both paths send one e-mail through the adapter's
``send_mail``, in the request. What still differs is the new account's few inserts: a few
milliseconds, where the hash (PBKDF2 with Django's rounds) takes hundreds.
"""

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))  # the work set_password does
        return super().try_save(request)  # type: ignore[no-any-return]
