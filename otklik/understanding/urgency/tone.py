"""Tone: obscenity (word roots, so any form and disguise such as "бл*"), insults and shouting (mostly
capitals) — for the moderator's eye, never a reason to drop a case or to make it urgent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import AnalyzedText, analyze


@dataclass(frozen=True)
class Tone:
    is_obscene: bool = False
    is_aggressive: bool = False
    is_shouting: bool = False
    terms: list[str] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        names = ("obscene", "aggressive", "shouting")
        return [
            n
            for n, on in zip(names, (self.is_obscene, self.is_aggressive, self.is_shouting), strict=True)
            if on
        ]


# Obscene roots (any form, "*" or "@" standing for a letter); prefix-anchored to skip "употреблять".
_OBSCENE = re.compile(
    r"(?<![а-яё])(?:(?:на|по|от|за)?х[уy*]+[йяеёюи]|[а-яё]*пизд|(?:на|по|за|от|у|вы|рас|раз|с)?[её]б(?:а[нлт]|у|ну|ись|ыв)"
    r"|бл[я*@]+(?:дь?|ть)?(?![а-яё])|муд[аои]к|пид[оа]р|залуп|гандон|сук[аи](?![а-яё]))",
    re.IGNORECASE,
)
_INSULTS = frozenset(
    [
        "урод",
        "сволочь",
        "тварь",
        "подонок",
        "ублюдок",
        "скотина",
        "скот",
        "дебил",
        "идиот",
        "дегенерат",
        "мразь",
        "падла",
        "кретин",
        "придурок",
        "быдло",
        "ничтожество",
        "негодяй",
        "паразит",
        "ворюга",
    ]
)


def assess_tone(text: str | AnalyzedText) -> Tone:
    """Obscenity, insults and shouting: for the moderator's eye, not a reason to drop a case."""
    analyzed = analyze(text) if isinstance(text, str) else text
    raw = analyzed.text
    obscene = sorted({m.group(0).lower() for m in _OBSCENE.finditer(raw)})
    at = sorted({i for lemma in _INSULTS.intersection(analyzed.positions) for i in analyzed.positions[lemma]})
    insults = sorted({analyzed.tokens[i].text.lower() for i in at})
    return Tone(bool(obscene), bool(insults), _is_shouting(raw), obscene + insults)


_SHOUT_LETTERS = 20
_SHOUT_SHARE = 0.6


def _is_shouting(raw: str) -> bool:
    """Mostly capitals: at least 20 letters, more than 60 % of them upper case."""
    if sum(map(str.isupper, raw)) <= _SHOUT_LETTERS * _SHOUT_SHARE:  # too few capitals to matter
        return False
    letters = [c for c in raw if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return len(letters) >= _SHOUT_LETTERS and upper / len(letters) > _SHOUT_SHARE
