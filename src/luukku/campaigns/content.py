"""An email as a recipient gets it: the subject and body rendered with their variables
(Liquid, strict, HTML-escaped in the body), MJML compiled to HTML (mrml), the CSS inlined
(css-inline) and a plain-text part made from the result. Each step's problem is named."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import css_inline
import mrml
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from luukku.core.templating import TemplateProblem, render, strict, strict_html


class Format:
    MJML = "mjml"
    HTML = "html"


@dataclass(frozen=True)
class EmailParts:
    subject: str
    html: str
    text: str


def compose(
    *,
    subject: str,
    body: str,
    body_format: str,
    variables: Mapping[str, Any],
    footer: str = "",
) -> EmailParts:
    """The email for one recipient, or `TemplateProblem` saying which part failed.
    A `footer` (Liquid, HTML) goes at the end of the body, after the styles are inlined,
    unless the body has an unsubscribe link of its own."""
    shown_subject = " ".join(render(subject, variables, environment=strict).split())
    filled = render(body, variables, environment=strict_html)
    html = inline(to_html(filled) if body_format == Format.MJML else filled)
    if footer and needs_footer(body):
        html = with_footer(html, render(footer, variables, environment=strict_html))
    return EmailParts(subject=shown_subject, html=html, text=to_text(html))


def inline(html: str) -> str:
    try:
        return str(_INLINER.inline(html))
    except ValueError as error:
        raise TemplateProblem(
            _("The style sheet cannot be read: %(error)s") % {"error": error}
        ) from None


def needs_footer(body: str) -> bool:
    """Every campaign email can be unsubscribed from: a body without its own link gets
    the standard footer."""
    return "unsubscribe_url" not in body


def footer_html(sender: str, language: str) -> str:
    """The standard footer: who sends it, and the links to unsubscribe and to choose."""
    with translation.override(language):
        unsubscribe = _("Unsubscribe")
        preferences = _("Manage your preferences")
    return (
        '<div style="font-family:sans-serif;font-size:12px;color:#666666;'
        'text-align:center;padding:16px">'
        f"{escape(sender)}<br>"
        '<a href="{{ unsubscribe_url }}" style="color:#666666">'
        f"{escape(unsubscribe)}</a> · "
        '<a href="{{ preferences_url }}" style="color:#666666">'
        f"{escape(preferences)}</a></div>"
    )


def with_footer(html: str, footer: str) -> str:
    end = html.rfind("</body>")
    return html[:end] + footer + html[end:] if end >= 0 else html + footer


# No web fonts fetched by every recipient's mail client from a third party (Google):
# the email's own font stack is used. Includes (mj-include) are not loaded at all.
_RENDER = mrml.RenderOptions(disable_comments=True, fonts={})
_PARSE = mrml.ParserOptions(include_loader=mrml.noop_loader())
# Style sheets are inlined from the email itself; nothing is fetched over the network.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def to_html(mjml_source: str) -> str:
    try:
        return str(mrml.to_html(mjml_source, parser_options=_PARSE, render_options=_RENDER).content)
    except OSError as error:
        raise TemplateProblem(_("The MJML cannot be read: %(error)s") % {"error": error}) from None


BLOCKS = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "hr"}
SKIPPED = {"style", "script", "head", "title"}


class _Text(HTMLParser):
    """Visible text with line breaks where blocks end, and each link's address after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            # Also a link the template fills in ({{ unsubscribe_url }}): the text part
            # made once from the template then has it as the one made per recipient does.
            if href and href.startswith(("http://", "https://", "mailto:", "{{")):
                self.parts.append(f" ({href})")
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text: list[str] = []
    for line in lines:
        if line or (text and text[-1]):
            text.append(line)
    return "\n".join(text).strip() + "\n"
