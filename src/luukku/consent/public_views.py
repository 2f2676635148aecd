"""The pages a customer reaches from a link in a message, without logging in: confirming
a consent (double opt-in), the preference center, and unsubscribing (RFC 8058 one-click
included). A link that was changed or is too old gets a page saying so, and changes
nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from luukku.consent import links, services, signup
from luukku.consent.gate import Facts, may_contact
from luukku.consent.landing import LandingForm
from luukku.consent.models import Action, LandingPage, Purpose, Source
from luukku.consent.services import Evidence, language_of, sender
from luukku.customers.models import Person
from luukku.customers.models.parties import Channel


def evidence_of(request: HttpRequest, source: str, **details: Any) -> Evidence:
    """What the request proves: where it came from and with what browser."""
    return Evidence(
        source=source,
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        details=details,
    )


def _page(
    request: HttpRequest,
    reader: Person | None,
    template: str,
    *,
    language: str = "",
    status: int = 200,
    **context: Any,
) -> Any:
    """A public page in the reader's language (or the one given), naming the
    organization that sends."""
    language = language or (language_of(reader) if reader is not None else "")
    context["organization"] = sender()
    with translation.override(language or translation.get_language()):
        return render(request, f"consent/{template}", context, status=status)


def _broken(request: HttpRequest, error: links.LinkError) -> HttpResponse:
    return _page(request, None, "link_broken.html", status=400, expired=error.expired)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: the link shows a button, so a mail scanner that follows links
    confirms nothing; the click records the grant with this browser's evidence."""
    try:
        asked = links.confirmed_request(token)
    except links.LinkError as error:
        return _broken(request, error)
    done = asked.confirmed_by.exists()
    if request.method == "POST" and not done:
        services.confirm(asked, evidence_of(request, Source.DOUBLE_OPT_IN))
        done = True
    return _page(
        request,
        asked.person,
        "confirm.html",
        title=_title(asked.purpose, asked.person),
        done=done,
        preferences=links.preferences_link(asked.person),
    )


def _title(purpose: Purpose | None, person: Person) -> str:
    """The purpose as the person reads it: its text's title in their language."""
    if purpose is None:
        return ""
    text = services.current_text(purpose, person.preferred_language)
    return text.title if text is not None else purpose.name


def _choices(person: Person, facts: Facts) -> list[dict[str, Any]]:
    """Each purpose in use with each of its channels, and whether it is on now: allowed,
    or granted even if no address works now (the page shows the wish, not the reach)."""
    rows = []
    language = person.preferred_language
    for purpose in Purpose.objects.filter(is_active=True).order_by("name"):
        text = services.current_text(purpose, language)
        channels = [
            {
                "value": channel,
                "label": Channel(channel).label,
                "name": f"p{purpose.pk}-{channel}",
                "on": may_contact(person, purpose, channel, facts=facts).allowed
                or _has(facts, purpose, channel, Action.GRANTED),
            }
            for channel in purpose.channels
        ]
        rows.append({"purpose": purpose, "text": text, "channels": channels})
    return rows


def _has(facts: Facts, purpose: Purpose | None, channel: str, action: str) -> bool:
    """Whether the person's state for exactly this purpose and channel is `action`."""
    state = facts.states.get((purpose.pk if purpose else None, channel))
    return state is not None and state.action == action


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person = links.person_of_preferences(token)
    except links.LinkError as error:
        return _broken(request, error)
    saved = False
    if request.method == "POST":
        evidence = evidence_of(request, Source.PREFERENCE_CENTER)
        if request.POST.get("everything") == "withdraw":
            services.withdraw_everything(person, evidence)
        else:
            _save_choices(person, request, evidence)
        saved = True
    facts = Facts(person)
    return _page(
        request,
        person,
        "preferences.html",
        person=person,
        rows=_choices(person, facts),
        saved=saved,
        blocked=facts.unsubscribed_from_all,
    )


def _save_choices(person: Person, request: HttpRequest, evidence: Evidence) -> None:
    """Record what the person changed on the page: each box they ticked or cleared. Under
    a block on all marketing every box shows off; ticking one lifts the block, and the
    boxes left clear are then recorded as withdrawn, so nothing else comes back on."""
    facts = Facts(person)
    ticked: list[tuple[dict[str, Any], dict[str, Any]]] = []
    cleared: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for row in _choices(person, facts):
        for channel in row["channels"]:
            wanted = request.POST.get(channel["name"]) == "on"
            (ticked if wanted else cleared).append((row, channel))
    lifting = facts.unsubscribed_from_all and bool(ticked)
    for row, channel in ticked:
        if not channel["on"]:
            _record(person, row, channel, Action.GRANTED, evidence)
    for row, channel in cleared:
        withdrawn = _has(facts, row["purpose"], channel["value"], Action.WITHDRAWN)
        if channel["on"] or (lifting and not withdrawn):
            _record(person, row, channel, Action.WITHDRAWN, evidence)
    if lifting:
        services.record(person, None, Action.GRANTED, evidence)


def _record(
    person: Person, row: dict[str, Any], channel: dict[str, Any], action: str, evidence: Evidence
) -> None:
    services.record(
        person, row["purpose"], action, evidence, channels=[channel["value"]], text=row["text"]
    )


@csrf_exempt  # RFC 8058: a mail client posts the one-click request without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (link checkers must not unsubscribe anyone); POST withdraws,
    from the mail client's one-click as from the button."""
    try:
        found = links.unsubscribe_of(token)
    except links.LinkError as error:
        return _broken(request, error)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST":
        source = Source.ONE_CLICK if one_click else Source.UNSUBSCRIBE_LINK
        evidence = evidence_of(request, source)
        if found.purpose is None:
            services.withdraw_everything(found.person, evidence)
        else:
            channels = [found.channel] if found.channel else None
            services.record(
                found.person, found.purpose, Action.WITHDRAWN, evidence, channels=channels
            )
        if one_click:
            return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return _page(
        request,
        found.person,
        "unsubscribe.html",
        title=_title(found.purpose, found.person) if found.purpose else "",
        done=request.method == "POST",
        preferences=links.preferences_link(found.person),
    )


@require_http_methods(["GET", "POST"])
def landing_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A published landing page and its form. A mistake is shown on the page in its
    language and nothing is recorded; a sending asks for each ticked consent by mail."""
    page = LandingPage.objects.filter(slug=slug, is_published=True).first()
    if page is None:
        return _landing(request, None, status=404)
    with translation.override(page.language):
        form = LandingForm(request.POST or None, page_blocks=page.blocks, language=page.language)
        if request.method == "POST" and form.is_valid():
            evidence = evidence_of(request, Source.LANDING_PAGE)
            try:
                sent = signup.submit(page, form.cleaned_data, evidence, form.texts)
            except signup.TooMany:
                form.add_error(
                    None,
                    _("Too many sendings from your network just now. Try again in a few minutes."),
                )
            else:
                return _landing(
                    request, page, sent=True, asked=bool(sent.asked) or sent.person is None
                )
        return _landing(request, page, form=form, status=400 if form.errors else 200)


def _landing(
    request: HttpRequest, page: LandingPage | None, *, status: int = 200, **context: Any
) -> HttpResponse:
    language = page.language if page is not None else ""
    return _page(
        request, None, "landing_page.html", language=language, status=status, page=page, **context
    )
