"""Panels that apps above the customers app add to a person's profile (their open cases,
consents, segments), without the customers app knowing them: each registers a function
that renders its panel for the viewer, or returns "" when it has nothing to show them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from luukku.core.models import User
from luukku.customers.models import Person

Render = Callable[[HttpRequest, User, Person], str]


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    render: Render


_panels: dict[str, Panel] = {}


def register(key: str, render: Render, *, order: int = 50) -> None:
    """Add (or replace) the panel `key`; lower `order` comes first."""
    _panels[key] = Panel(key, order, render)


def rendered(request: HttpRequest, actor: User, person: Person) -> list[SafeString]:
    """Each registered panel's HTML for this viewer, in order, the empty ones left out."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        html = panel.render(request, actor, person)
        if html:
            shown.append(mark_safe(html))
    return shown
