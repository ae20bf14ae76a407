"""Signing in and out, and the language switch.

In a deployment staff sign in at the identity provider the services already trust (OIDC
authorization code with PKCE, authlib); the access token it issues is what every page sends
to the APIs, checked first by the same verifier the services use. In development, with the
local key allowed and no identity provider, a page mints a local token for a chosen
organisation and roles — what `xietong token` does.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.responses import Response

from workbench.i18n import LANG_COOKIE
from workbench.settings import WorkbenchSettings
from workbench.web import (
    AnyVisit,
    Form,
    FormErrors,
    PageNotFound,
    SignedIn,
    Visit,
    redirect,
    render,
    safe_next,
    text,
)
from xietong_common.auth import TokenVerifier, mint_token
from xietong_common.errors import AppError
from xietong_common.reference import is_org_code
from xietong_common.web.access import Role

router = APIRouter()

# The roles a person may pick on the development sign-in page (a platform's account is not a
# person at a desk).
PERSON_ROLES = [r for r in Role if r is not Role.PLATFORM]


def oauth_client(settings: WorkbenchSettings) -> Any:
    """The identity provider as an authlib OIDC client (PKCE S256), or None."""
    if not settings.oidc_enabled:
        return None
    oauth = OAuth()
    secret = settings.workbench_oidc_client_secret
    kwargs: dict[str, Any] = {
        "scope": settings.workbench_oidc_scopes,
        "code_challenge_method": "S256",
    }
    if secret is None:
        kwargs["token_endpoint_auth_method"] = "none"
    return oauth.register(
        name="idp",
        server_metadata_url=settings.workbench_oidc_discovery_url,
        client_id=settings.workbench_oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        client_kwargs=kwargs,
    )


def _start(request: Request, person: SignedIn) -> None:
    """A new session for the person: a fresh CSRF token, nothing kept from before."""
    lang_choice = request.session.get("lang")
    request.session.clear()
    request.session["person"] = person.to_session()
    if lang_choice:
        request.session["lang"] = lang_choice


@router.get("/signin", name="signin")
async def signin_page(
    current: AnyVisit, next: str | None = None, expired: bool = False
) -> Response:
    target = safe_next(next)
    if current.settings.oidc_enabled:
        return render(current, "account/signin_oidc.html", next=target, expired=expired)
    if not current.settings.local_sign_in:
        return render(current, "account/no_signin.html", status=503)
    return _local_form(current, target, expired=expired)


def _local_form(
    current: Visit,
    target: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    expired: bool = False,
) -> Response:
    return render(
        current,
        "account/signin_local.html",
        status=422 if errors else 200,
        next=target,
        expired=expired,
        org_groups=current.ref.org_groups(current.lang),
        roles=[(r.value, r.label_en if current.lang == "en" else r.label_zh) for r in PERSON_ROLES],
        values=values or {"roles": ["handler"]},
        errors=errors,
    )


@router.post("/signin")
async def signin_local(current: AnyVisit, form: Form) -> Response:
    """Development only: a local token for the organisation and roles chosen."""
    settings = current.settings
    if not settings.local_sign_in:
        raise PageNotFound()
    t = current.t
    org = text(form, "org") or ""
    name = text(form, "name") or ""
    roles = [r for r in form.getlist("roles") if isinstance(r, str)]
    target = safe_next(text(form, "next"))
    errors = FormErrors()
    if org not in current.ref.directory or not is_org_code(org):
        errors.add("org", t("请选择机构", "Choose an organisation"))
    known = {r.value for r in PERSON_ROLES}
    if not roles or not set(roles) <= known:
        errors.add("roles", t("请至少选择一个角色", "Choose at least one role"))
    if len(name) > 64:
        errors.add("name", t("姓名最多 64 个字符", "A name has at most 64 characters"))
    if errors:
        values = {"org": org, "name": name, "roles": roles}
        return _local_form(current, target, values=values, errors=errors)
    ttl = settings.workbench_session_max_age_s
    user = f"{org}/{name}" if name else f"{org}/officer"
    token = mint_token(settings, org=org, user=user, roles=roles, ttl_s=ttl)
    person = SignedIn(
        org=org,
        user=user,
        name=name or current.ref.org_name(org, current.lang),
        roles=tuple(sorted(roles)),
        token=token,
        expires_at=time.time() + ttl,
        via="local",
    )
    _start(current.request, person)
    return redirect(target)


@router.get("/signin/oidc", name="signin_oidc")
async def signin_oidc(current: AnyVisit, next: str | None = None) -> Response:
    client = current.request.app.state.oauth
    if client is None:
        raise PageNotFound()
    current.request.session["after_signin"] = safe_next(next)
    redirect_uri = _public_url(current, "/auth/callback")
    response: Response = await client.authorize_redirect(current.request, redirect_uri)
    return response


@router.get("/auth/callback", name="oidc_callback")
async def oidc_callback(current: AnyVisit) -> Response:
    """The identity provider sends the person back with a code; authlib checks the state,
    exchanges the code with the PKCE verifier and checks the ID token (nonce, issuer, keys)."""
    request = current.request
    client = request.app.state.oauth
    if client is None:
        raise PageNotFound()
    t = current.t
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        return render(
            current,
            "account/signin_failed.html",
            status=400,
            reason=t("身份认证未完成：", "Sign-in was not completed: ")
            + str(exc.description or exc.error),
        )
    access = token.get("access_token")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(str(access or ""))
    except AppError as exc:
        return render(
            current,
            "account/signin_failed.html",
            status=403,
            reason=t(
                "身份认证服务签发的令牌不被各服务接受：", "The services do not accept the token: "
            )
            + (exc.detail_zh or exc.detail if current.lang == "zh" else exc.detail),
        )
    info = token.get("userinfo") or {}
    expires = float(token.get("expires_at") or time.time() + 300)
    person = SignedIn(
        org=principal.org,
        user=principal.user,
        name=str(info.get("name") or info.get("preferred_username") or principal.user),
        roles=tuple(sorted(principal.roles)),
        token=str(access),
        expires_at=min(expires, time.time() + current.settings.workbench_session_max_age_s),
        via="oidc",
    )
    target = safe_next(request.session.get("after_signin"))
    _start(request, person)
    return redirect(target)


@router.post("/signout", name="signout")
async def signout(current: AnyVisit, form: Form) -> Response:
    current.request.session.clear()
    current.flash(current.t("您已退出登录。", "You have signed out."))
    return redirect("/signin")


@router.post("/language", name="language")
async def choose_language(current: AnyVisit, form: Form) -> Response:
    """The language switch: kept in a cookie of its own, so it outlives a sign-in."""
    lang = "en" if form.get("lang") == "en" else "zh"
    response = redirect(safe_next(text(form, "next")))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=current.settings.workbench_cookie_secure,
    )
    return response


def _public_url(current: Visit, path: str) -> str:
    base = current.settings.workbench_public_url
    if base:
        return base.rstrip("/") + path
    return str(current.request.url_for("oidc_callback")) if path == "/auth/callback" else path
