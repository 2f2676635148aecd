"""How many SMS segments a text takes, as a phone network counts them (3GPP TS 23.038).

A text in the GSM 7-bit alphabet, which has the Nordic letters Æ Ø Å Ä Ö (and é, ü, ñ),
takes 160 characters in one message, 153 a segment when it needs several; the signs of
the extension table (€ [ ] { } ^ ~ | \\ and form feed) count twice. Any other character
(Finnish Sámi letters, emoji, curly quotes) makes the whole text UCS-2: 70 in one
message, 67 a segment, counted in UTF-16 units (an emoji is two).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Length:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (extension signs count two) or UTF-16 units
    segments: int
    per_segment: int  # how many units each segment of this text holds
    not_gsm: str  # the characters that made it UCS-2, in order of appearance

    @property
    def left_in_segment(self) -> int:
        """Units left before another segment is needed."""
        return self.segments * self.per_segment - self.units if self.units else self.per_segment


def measure(text: str) -> Length:
    outside = [c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED]
    if not outside:
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        segments, per_segment = (1 if units else 0), single
    else:
        segments, per_segment = -(-units // multi), multi
    return Length(encoding, units, segments, per_segment, "".join(dict.fromkeys(outside)))
