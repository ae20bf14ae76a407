"""What every page shares: the person signed in, their language, CSRF, the API client,
rendering, and the API's refusals turned into errors beside the fields they name."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import httpx
import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.datastructures import FormData, UploadFile

from workbench.api import Api, ApiProblem, new_idempotency_key
from workbench.i18n import Lang, Translator, html_lang, language_of
from workbench.reference import Reference, Vocabulary
from workbench.settings import WorkbenchSettings
from xietong_common.calendar import CHINA_TZ
from xietong_common.web.access import Role

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"


# ---- static files, versioned by content -----------------------------------------------------


class StaticFiles:
    """`/static/<digest>/<path>`: the digest changes with the content, so a file is cached for
    a year and a new release is fetched at once."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root
        self.digests = {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()[:12]
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".md")
        }

    def url(self, path: str) -> str:
        return f"/static/{self.digests[path]}/{path}"

    def file(self, path: str) -> Path | None:
        if path not in self.digests:
            return None
        return self.root / path


# ---- the person signed in -------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """Who is working: their organisation and roles as the token says, and the token the
    pages call the APIs with."""

    org: str
    user: str
    name: str
    roles: tuple[str, ...]
    token: str
    expires_at: float
    via: str  # "local" | "oidc"

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def kind(self) -> str:
        return self.org.split(":", 1)[0]

    @property
    def is_town(self) -> bool:
        return self.kind == "town"

    @property
    def is_dept(self) -> bool:
        return self.kind == "dept"

    @property
    def is_bureau(self) -> bool:
        return self.org == "justice-bureau"

    def to_session(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "user": self.user,
            "name": self.name,
            "roles": list(self.roles),
            "token": self.token,
            "exp": self.expires_at,
            "via": self.via,
        }

    @classmethod
    def from_session(cls, data: Any) -> SignedIn | None:
        if not isinstance(data, dict):
            return None
        try:
            person = cls(
                org=str(data["org"]),
                user=str(data["user"]),
                name=str(data.get("name") or data["user"]),
                roles=tuple(str(r) for r in data.get("roles") or ()),
                token=str(data["token"]),
                expires_at=float(data["exp"]),
                via=str(data.get("via") or "local"),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return person if person.expires_at > time.time() else None


def role_label(role: str, lang: Lang) -> str:
    try:
        member = Role(role)
    except ValueError:
        return role
    return member.label_en if lang == "en" else member.label_zh


# ---- refusals the pages show ----------------------------------------------------------------


class SignInRequired(Exception):
    """No one (or an expired sign-in) on a page that needs someone."""

    def __init__(self, next_url: str, *, expired: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token (or from another site)."""


class PageNotFound(Exception):
    """The workbench's own 404 (a record the API would not show, or no such page)."""


# ---- forms ----------------------------------------------------------------------------------


@dataclass
class FormErrors:
    """An API's refusal, placed: errors by form field (the field's name is the JSON path the
    API names, `party.name`, `items.0.quantity`), the rest in the summary at the top."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    title: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def of(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, []).append(message)
        else:
            self.general.append(message)

    @property
    def summary(self) -> list[tuple[str | None, str]]:
        """(field id or None, message), in order: the general messages first."""
        items: list[tuple[str | None, str]] = [(None, m) for m in self.general]
        for name, messages in self.fields.items():
            items += [(field_id(name), m) for m in messages]
        return items

    @classmethod
    def from_problem(cls, problem: ApiProblem, *, known: set[str] | None = None) -> FormErrors:
        """Place each error of the problem's `errors` (pydantic locations, `body.party.name`)
        beside its field; a field the form does not have, and the problem's own `detail` when
        it names no field, go to the summary."""
        errors = cls(title=problem.title)
        for entry in problem.errors:
            name = field_name(entry.get("loc") or ())
            message = str(
                entry.get("msg") or entry.get("message_zh") or entry.get("message_en") or ""
            )
            if name and (known is None or name in known):
                errors.add(name, message)
            else:
                errors.add(None, f"{name}: {message}" if name else message)
        # A problem names its field (`field`), or what a rule found missing (`missing`: a
        # withdrawal's reason, but also materials no form field holds): its detail goes beside
        # the field, and a `missing` entry only where the form says it has that field.
        named = problem.body.get("field")
        missing = problem.body.get("missing")
        placed = [named] if isinstance(named, str) and (known is None or named in known) else []
        if isinstance(missing, list) and known is not None:
            placed += [m for m in missing if isinstance(m, str) and m in known and m not in placed]
        for name in placed:
            errors.add(name, problem.detail)
        if not placed and not problem.errors:
            errors.add(None, problem.detail)
        return errors


_LOCATION_ROOTS = {"body", "query", "path", "header", "form"}


def field_name(loc: Any) -> str:
    parts = [str(p) for p in (loc if isinstance(loc, list | tuple) else [loc])]
    while parts and parts[0] in _LOCATION_ROOTS:
        parts = parts[1:]
    return ".".join(parts)


def field_id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def text(form: FormData | Mapping[str, Any], name: str) -> str | None:
    """A text field as the API should get it: stripped, None when empty (so the API says
    what is missing)."""
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    stripped = str(value).strip()
    return stripped or None


def flag(form: FormData | Mapping[str, Any], name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def china_datetime(value: str | None) -> str | None:
    """A `datetime-local` field (China time, as the person typed it) as ISO 8601 with +08:00;
    anything else is passed on unchanged for the API to judge."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_TZ)
    return parsed.isoformat()


def local_input(value: str | datetime | None) -> str:
    """An API time as a `datetime-local` field shows it (China time)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M")
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")


async def upload_of(form: FormData, name: str = "file") -> tuple[str, bytes, str] | None:
    """The file a form carried, for the API (which checks its size and type)."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read()
    return (upload.filename, content, upload.content_type or "application/octet-stream")


# ---- the visit: one request of one person ---------------------------------------------------


@dataclass
class Visit:
    request: Request
    settings: WorkbenchSettings
    lang: Lang
    t: Translator
    person: SignedIn | None
    api: Api
    ref: Reference
    vocab: Vocabulary

    @property
    def me(self) -> SignedIn:
        if self.person is None:
            raise SignInRequired(_here(self.request))
        return self.person

    def org_name(self, code: str | None) -> str:
        return self.ref.org_name(code, self.lang)

    def flash(self, message: str) -> None:
        self.request.session["flash"] = message

    async def label(self, service: str, enum: str, value: str | None) -> str:
        return await self.vocab.label(service, enum, value, self.lang)

    async def options(self, service: str, enum: str) -> list[tuple[str, str]]:
        return await self.vocab.options(service, enum, self.lang)


def _here(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def visit(request: Request) -> Visit:
    state = request.app.state
    lang = language_of(request)
    person = SignedIn.from_session(request.session.get("person"))
    if person is None and "person" in request.session:
        request.session.pop("person", None)
    api = Api(
        client=state.http,
        urls=state.settings.workbench_service_urls,
        token=person.token if person else None,
        lang=lang,
    )
    return Visit(
        request=request,
        settings=state.settings,
        lang=lang,
        t=Translator(lang),
        person=person,
        api=api,
        ref=state.reference,
        vocab=state.vocabulary,
    )


def signed_in(request: Request) -> Visit:
    current = visit(request)
    if current.person is None:
        raise SignInRequired(_here(request), expired="person" in request.session)
    return current


AnyVisit = Annotated[Visit, Depends(visit)]
Staff = Annotated[Visit, Depends(signed_in)]


# ---- CSRF -----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches this session's and, where the browser says
    where the form came from, it came from here (a second line behind SameSite cookies)."""
    form = await request.form(
        max_files=10, max_fields=2000, max_part_size=request.app.state.settings.max_upload_bytes
    )
    expected = request.session.get("csrf")
    given = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if (
        not isinstance(expected, str)
        or not isinstance(given, str)
        or not secrets.compare_digest(expected, given)
    ):
        raise CsrfRefused()
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRefused()
    return form


Form = Annotated[FormData, Depends(checked_form)]


# ---- rendering ------------------------------------------------------------------------------


def china_time(value: str | datetime | None, lang: Lang = "zh", *, seconds: bool = False) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(CHINA_TZ)
    if lang == "en":
        return local.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))
    return f"{local.year}年{local.month}月{local.day}日 " + local.strftime(
        "%H:%M" + (":%S" if seconds else "")
    )


_MARK = re.compile(r"(</?mark>)")


def marked(value: str | None) -> Markup:
    """A search snippet the API highlighted (`<mark>`, the rest HTML-escaped), made safe here
    too: everything but the `<mark>` tags is escaped again from its plain text."""
    parts = _MARK.split(value or "")
    return Markup("".join(p if p in ("<mark>", "</mark>") else escape(unescape(p)) for p in parts))


def build_templates(static: StaticFiles) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(("html", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
    )
    env.globals["static"] = static.url
    env.globals["field_id"] = field_id
    env.globals["quote"] = quote
    env.globals["dict"] = dict
    env.filters["local_input"] = local_input
    env.filters["marked"] = marked
    return env


def render(
    current: Visit,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    request = current.request
    env: jinja2.Environment = request.app.state.templates
    lang = current.lang
    flash = request.session.pop("flash", None)
    page = env.get_template(template).render(
        request=request,
        t=current.t,
        lang=lang,
        html_lang=html_lang(lang),
        me=current.person,
        csrf_token=csrf_token(request),
        flash=flash,
        org_name=current.org_name,
        matter_name=lambda code: current.ref.matter_name(code, lang),
        role_label=lambda role: role_label(role, lang),
        when=lambda value, seconds=False: china_time(value, lang, seconds=seconds),
        new_key=new_idempotency_key,
        local_sign_in=current.settings.local_sign_in,
        path=request.url.path,
        errors=context.pop("errors", None) or FormErrors(),
        no_errors=FormErrors(),
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=dict(headers or {}))


def redirect(url: str) -> RedirectResponse:
    """After a form: see other (PRG), so a reload never posts again."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path of this site is a place to go after signing in (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


async def problem_page(current: Visit, problem: ApiProblem) -> Response:
    """A refusal that belongs to no form: 404 as our own page, the rest with the API's words."""
    if problem.status == 404:
        raise PageNotFound()
    if problem.status == 401:
        raise SignInRequired(_here(current.request), expired=True)
    return render(current, "problem.html", status=problem.status, problem=problem)


def http_client(settings: WorkbenchSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.workbench_api_timeout_s, connect=5.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
    )
