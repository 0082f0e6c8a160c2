"""The API keys page: a user sees, names and revokes their own keys."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from responsibility.access import page
from responsibility.validators import text_problem
from responsibility.views import render_page

from .forms import NewApiKeyForm
from .selectors import api_keys_of
from .services import client_address, issue_api_key, revoke_api_key

NEW_TOKEN = "new_api_key"


@page("account", "use")
def api_keys(request):
    """GET lists the keys (and, once, a key just created); POST creates one, then redirects, so a
    reload neither makes another key nor shows this one again."""
    form = NewApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _key, token = issue_api_key(
            user=request.user, name=form.cleaned_data["name"], via="page", address=client_address(request)
        )
        request.session[NEW_TOKEN] = token
        return redirect("accounts:api_keys")
    context = {
        "form": form,
        "keys": api_keys_of(request.user),
        "new_token": request.session.pop(NEW_TOKEN, None),
    }
    return render_page(request, "accounts/api_keys.html", context)


@page("account", "use")
@require_POST
def revoke_key(request):
    token_key = request.POST.get("key", "")
    if not text_problem(token_key) and revoke_api_key(
        user=request.user, token_key=token_key, via="page", address=client_address(request)
    ):
        messages.success(request, "密钥已撤销，使用它的脚本将无法再访问。")
    else:
        messages.error(request, "没有这个密钥。")
    return redirect("accounts:api_keys")
