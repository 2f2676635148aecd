"""Reusable blocks and layouts in campaign content, set in place before anything else
happens to the content, so they are checked, compiled and personalized as part of
the email:

- `{% include 'key' %}` puts the block's text in its place (blocks may include
  blocks, three deep);
- `{% layout 'key' %}` at the top of a body wraps the rest of it in that block, at
  the block's `{% content %}` (a layout: the MJML frame, a header, a footer).

A block that does not exist, or a layout without its place for the content, is a
problem named with its line."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from luukku.campaigns.models import Block
from luukku.core.templating import TemplateProblem

INCLUDE = re.compile(r"""\{%-?\s*include\s+['"]([-a-z0-9_]+)['"]\s*-?%\}""")
LAYOUT = re.compile(r"""\A\s*\{%-?\s*layout\s+['"]([-a-z0-9_]+)['"]\s*-?%\}""")
SLOT = re.compile(r"\{%-?\s*content\s*-?%\}")
DEPTH = 3


def blocks() -> dict[str, str]:
    return dict(Block.objects.values_list("key", "body"))


def expand(source: str, known: Mapping[str, str] | None = None, depth: int = 0) -> str:
    """The source in its layout, with every include replaced by its block's text."""
    if "include" not in source and "layout" not in source:
        return source
    known = blocks() if known is None else known
    framed = LAYOUT.match(source)
    if framed is not None and depth == 0:
        key = framed[1]
        if key not in known:
            raise TemplateProblem(_("line 1: there is no layout %(key)s") % {"key": key})
        if not SLOT.search(known[key]):
            raise TemplateProblem(
                _("The layout %(key)s has no {%% content %%} for the email to go in") % {"key": key}
            )
        body = source[framed.end() :]
        source = SLOT.sub(lambda _match: body, known[key], count=1)

    def put(match: re.Match[str]) -> str:
        key = match[1]
        if key not in known:
            line = source.count("\n", 0, match.start()) + 1
            raise TemplateProblem(
                _("line %(line)s: there is no block %(key)s") % {"line": line, "key": key}
            )
        if depth >= DEPTH:
            raise TemplateProblem(_("Blocks include each other too deeply: %(key)s") % {"key": key})
        return expand(known[key], known, depth + 1)

    return INCLUDE.sub(put, source)
