"""A run's email made ready once, so each recipient costs only the filling in.

The slow steps (MJML compiled by mrml, CSS inlined, the text part made) run once on the
template itself, with its Liquid markup left in place; each recipient's message is
then three Liquid renders and a substitution. This is only done when it is safe: the
compiled template must hold the same Liquid markup in the same order as the source
(nothing moved or escaped by the compiler) and give the same email for the sample
recipient as composing it directly. Otherwise every recipient's email is composed
in full (correct, and slower).

Links (http/https, not those the template computes) are numbered and replaced by
placeholders the sender fills with each recipient's signed tracking link; an email
whose body has no unsubscribe link gets the standard footer with one.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liquid import BoundTemplate

from luukku.campaigns.content import (
    EmailParts,
    Format,
    compose,
    footer_html,
    inline,
    needs_footer,
    to_html,
    to_text,
    with_footer,
)
from luukku.core.templating import TemplateProblem, strict, strict_html

_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_HREF = re.compile(r'href="(https?://[^"{}<>]+)"')
_PLACE = re.compile("\x1a(\\d+)\x1a")
TRACK = "\x1a{}\x1a"


def _placeholder(position: int) -> str:
    return TRACK.format(position)


@dataclass
class PreparedEmail:
    """One language's email of a run, ready for its recipients."""

    subject: BoundTemplate
    body_source: str
    body_format: str
    footer: str
    links: list[str] = field(default_factory=list)
    html: BoundTemplate | None = None  # None: composed in full for each recipient
    text: BoundTemplate | None = None

    def templates(self) -> list[BoundTemplate]:
        """Every template the email is made from (the body's source when it is composed
        in full for each recipient)."""
        found = [self.subject, strict_html.from_string(self.body_source)]
        if self.footer:
            found.append(strict_html.from_string(self.footer))
        return found

    def render(self, variables: Mapping[str, Any], link: Callable[[int], str]) -> EmailParts:
        """The recipient's email, `link(n)` giving their address for the n-th link."""
        subject = " ".join(self.subject.render(**variables).split())
        if self.html is not None and self.text is not None:
            html = self.html.render(**variables)
            text = self.text.render(**variables)
        else:
            full = compose(
                subject="",
                body=self.body_source,
                body_format=self.body_format,
                variables=variables,
                footer=self.footer,
            )
            html, text = _number_links(full.html, full.text, self.links)
        place = lambda match: link(int(match[1]))  # noqa: E731
        return EmailParts(
            subject=subject, html=_PLACE.sub(place, html), text=_PLACE.sub(place, text)
        )


def _number_links(html: str, text: str, links: list[str], *, add: bool = False) -> tuple[str, str]:
    """Each literal link replaced by its numbered placeholder. With `add`, links are
    numbered in order of first appearance and added to `links`; without, only those
    already numbered are replaced (a link a recipient's values made is left alone)."""

    def swap(match: re.Match[str]) -> str:
        url = html_lib.unescape(match[1])
        if url not in links:
            if not add:
                return match[0]
            links.append(url)
        return f'href="{_placeholder(links.index(url))}"'

    html = _HREF.sub(swap, html)
    for position, url in enumerate(links):
        text = text.replace(f"({url})", f"({_placeholder(position)})")
    return html, text


def prepare(
    *,
    subject: str,
    body: str,
    body_format: str,
    sender: str,
    language: str,
    sample: Mapping[str, Any],
) -> PreparedEmail:
    footer = footer_html(sender, language) if needs_footer(body) else ""
    try:
        prepared = PreparedEmail(
            subject=strict.from_string(subject),
            body_source=body,
            body_format=body_format,
            footer=footer,
        )
    except Exception as error:  # a subject that does not parse was refused on save
        raise TemplateProblem(str(error)) from None
    compiled = with_footer(inline(to_html(body) if body_format == Format.MJML else body), footer)
    same_markup = _MARKUP.findall(compiled) == _MARKUP.findall(body) + _MARKUP.findall(footer)
    html, text = _number_links(compiled, to_text(compiled), prepared.links, add=True)
    if same_markup:
        fast_html = strict_html.from_string(html)
        fast_text = strict.from_string(text)
        direct = compose(
            subject="", body=body, body_format=body_format, variables=sample, footer=footer
        )
        direct_html, direct_text = _number_links(direct.html, direct.text, prepared.links)
        if fast_html.render(**sample) == direct_html and fast_text.render(**sample) == direct_text:
            prepared.html, prepared.text = fast_html, fast_text
    return prepared
