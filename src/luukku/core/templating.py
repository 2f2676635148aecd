"""Liquid templates that staff write (standard answers, campaign content): their authors
cannot run code (python-liquid has no way to), and here they cannot loop or write
without end either: output, loops and nesting are bounded.

Two environments: a lenient one, where an unknown variable renders as nothing (a
standard answer an agent fills in), and a strict one, where an unknown variable is an
error unless a `default` is given (content sent to thousands, checked before it goes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from liquid import Environment, StrictDefaultUndefined
from liquid.exceptions import LiquidError

OUTPUT_LIMIT = 200_000  # characters a template may write
LOOP_LIMIT = 1_000


class _Bounded(Environment):
    output_stream_limit = OUTPUT_LIMIT
    loop_iteration_limit = LOOP_LIMIT
    context_depth_limit = 20


lenient = _Bounded()
strict = _Bounded(undefined=StrictDefaultUndefined)
strict_html = _Bounded(undefined=StrictDefaultUndefined, autoescape=True)  # values escaped


class TemplateProblem(ValueError):
    """A template that cannot be used, with where and why."""


def _describe(error: LiquidError) -> str:
    """The first line of the library's message, with the line and column it names."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    where = next((line.strip() for line in text[1:] if line.strip().startswith("->")), "")
    position = where.rsplit(" ", 1)[-1] if where else ""
    if position and ":" in position:
        line, _colon, column = position.partition(":")
        return _("line %(line)s, column %(column)s: %(problem)s") % {
            "line": line,
            "column": column,
            "problem": first,
        }
    return first


def check(source: str, sample: Mapping[str, Any], *, environment: Environment = strict) -> None:
    """Refuse a template that does not parse, or that uses a variable the sample does not
    have (without a `default`), saying where. `sample` holds every variable there is."""
    try:
        environment.from_string(source).render(**sample)
    except LiquidError as error:
        raise TemplateProblem(_describe(error)) from None


def render(source: str, variables: Mapping[str, Any], *, environment: Environment = strict) -> str:
    try:
        return str(environment.from_string(source).render(**variables))
    except LiquidError as error:
        raise TemplateProblem(_describe(error)) from None
