"""Reusable blocks in campaign content: `{% include 'key' %}` names a block, whose text
is set in its place (blocks may include blocks, three deep) before anything else
happens to the content, so a block is checked, compiled and personalized as part of
the email. An include of a block that does not exist is a problem named with its line."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from luukku.campaigns.models import Block
from luukku.core.templating import TemplateProblem

INCLUDE = re.compile(r"""\{%-?\s*include\s+['"]([-a-z0-9_]+)['"]\s*-?%\}""")
DEPTH = 3


def blocks() -> dict[str, str]:
    return dict(Block.objects.values_list("key", "body"))


def expand(source: str, known: Mapping[str, str] | None = None, depth: int = 0) -> str:
    """The source with every include replaced by its block's text."""
    if "include" not in source:
        return source
    known = blocks() if known is None else known

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
