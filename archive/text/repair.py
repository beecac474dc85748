"""Repairing text copied by mirror sites: pinyin annotations, traditional characters, GBK mojibake.

Mirror sites serve our articles converted to traditional characters, with the pinyin of some of
the converted characters in ASCII parentheses (`陳倉(cāng)`), and now and then a run of GBK bytes
decoded one byte out of step. Legitimate text must come through untouched: `(GDP)`, `(APP)`,
`(2023)`, English in parentheses, ruby text that annotates every character, and — on a site whose
profile is not simplified — traditional text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import opencc

SIMPLIFIED = "simplified"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A pinyin syllable: lower-case letters with a tone mark, or a neutral-tone syllable.
_SYLLABLE = re.compile(rf"^[a-zü{_TONED}]{{1,6}}$")
_NEUTRAL = frozenset(
    [
        "de",
        "le",
        "men",
        "me",
        "ma",
        "ne",
        "ba",
        "zi",
        "zhe",
        "guo",
        "ge",
        "li",
        "tou",
        "shang",
        "xia",
        "lai",
        "qu",
    ]
)
_ANNOTATION = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\(([^()\s]{1,6})\)")
# Ruby text: three or more characters in a row, each annotated, spaces between them.
_RUBY = re.compile(
    r"(?:[\u3400-\u9fff]\([^()\s]{1,6}\)[ \u3000]+){2,}[\u3400-\u9fff]\([^()\s]{1,6}\)"
)
# Mirrors also turn full-width punctuation between Chinese characters into ASCII.
# Between a digit and a digit it is a thousands separator or a time, and stays.
_ASCII_PUNCTUATION = re.compile(
    r"(?<=[\u3400-\u9fff”’」）%])([,:;?!])(?=[\u3400-\u9fff“‘「（\d])"
    r"|(?<=\d)([,:;?!])(?=[\u3400-\u9fff“‘「（])"
)
_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
# A mojibake run starts at the broken byte (shown as ?) and runs to the ASCII character that put
# the decoder back in step: a trail byte in 0x40–0x7E read on its own (included, it is a byte of
# the run).
_MOJIBAKE = re.compile(r"\?([^\x00-\x7f]{2,}[\x40-\x7e]?)")
# Text that is mostly traditional: at least this share of its Chinese characters convert.
TRADITIONAL_SHARE = 0.05


@dataclass(frozen=True)
class Repairs:
    """What was repaired in a text: counts per kind (all zero for text that needed nothing)."""

    annotations: int = 0
    converted: int = 0
    mojibake_runs: int = 0
    mojibake_lost: int = 0
    punctuation: int = 0

    def __bool__(self) -> bool:
        return any((self.annotations, self.converted, self.mojibake_runs))

    def to_json(self) -> dict[str, Any]:
        """The repairs made, by kind, leaving out the kinds that were not needed."""
        counts = {
            "pinyin_annotations_removed": self.annotations,
            "characters_converted_to_simplified": self.converted,
            "mojibake_runs_repaired": self.mojibake_runs,
            "characters_lost_in_mojibake": self.mojibake_lost,
            "punctuation_restored_to_full_width": self.punctuation,
        }
        return {name: count for name, count in counts.items() if count}


def repair_text(text: str, script: str = SIMPLIFIED) -> tuple[str, Repairs]:
    """`text` with mirror damage undone, and what was done; undamaged text comes back as it was."""
    text, runs, lost = repair_mojibake(text)
    text, annotations = strip_annotations(text)
    converted = punctuation = 0
    if script == SIMPLIFIED and (annotations or _mostly_traditional(text)):
        text, converted = to_simplified(text)
    if annotations:
        text, punctuation = restore_punctuation(text)
    return text, Repairs(annotations, converted, runs, lost, punctuation)


def restore_punctuation(text: str) -> tuple[str, int]:
    """ASCII , : ; ? ! between Chinese characters back to the full-width forms the site writes."""
    return _ASCII_PUNCTUATION.subn(
        lambda found: _FULL_WIDTH[found.group(1) or found.group(2)], text
    )


def strip_annotations(text: str) -> tuple[str, int]:
    """Removes `(pinyin)` after converted characters; returns the text and how many went.

    An annotation follows a traditional character with no space; ruby text (every character
    annotated, the simplified ones too, spaces between) and Latin words in parentheses stay.
    """
    count = 0
    ruby = [span.span() for span in _RUBY.finditer(text)]

    def remove(found: re.Match[str]) -> str:
        nonlocal count
        inside_ruby = any(start <= found.start() < end for start, end in ruby)
        if not inside_ruby and _is_annotation(text, found):
            count += 1
            return ""
        return found.group(0)

    return _ANNOTATION.sub(remove, text), count


def to_simplified(text: str) -> tuple[str, int]:
    """The text in simplified characters (OpenCC t2s) and how many characters changed."""
    converted = _to_simplified(text)
    if len(converted) != len(text):
        return converted, sum(1 for char in text if _is_traditional(char))
    return converted, sum(1 for old, new in zip(text, converted, strict=True) if old != new)


def repair_mojibake(text: str) -> tuple[str, int, int]:
    """Re-decodes GBK runs read one byte out of step; returns text, runs repaired, characters lost.

    A run is repaired only when the re-decoded characters are ordinary Chinese and the run as it
    stands is not — a question mark before Chinese text is usually just a question mark — or,
    when the run ends in the lone ASCII byte that re-synchronised the decoder, when its bytes
    line up exactly one step back (ordinary text almost never does).
    """
    runs = lost = 0

    def redecode(found: re.Match[str]) -> str:
        nonlocal runs, lost
        garbled = found.group(1)
        repaired = _shifted(garbled)
        if repaired is None or not _plausible_repair(garbled, repaired, _lines_up(garbled)):
            return found.group(0)
        runs += 1
        lost += max(0, len(garbled) - len(repaired))
        return repaired

    return _MOJIBAKE.sub(redecode, text), runs, lost


def _is_annotation(text: str, found: re.Match[str]) -> bool:
    syllable = found.group(1)
    if not _SYLLABLE.match(syllable):
        return False
    if not (set(syllable) & set(_TONED)) and syllable not in _NEUTRAL:
        return False
    return _is_traditional(text[found.start() - 1])


def _shifted(garbled: str) -> str | None:
    """The run's bytes one step back in line (docs/site.md, mirror copies); a last byte left without its pair
    belongs to the character the run broke off at, and goes."""
    try:
        data = garbled.encode("gbk")[1:]
    except UnicodeEncodeError:
        return None
    for end in (len(data), len(data) - 1):
        try:
            return data[:end].decode("gbk")
        except UnicodeDecodeError:
            continue
    return None


def _lines_up(garbled: str) -> bool:
    """Ends in the re-synchronising ASCII byte and decodes one step back without a byte left."""
    if not garbled or not "\x40" <= garbled[-1] <= "\x7e":
        return False
    try:
        garbled.encode("gbk")[1:].decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _plausible_repair(garbled: str, repaired: str, lines_up: bool) -> bool:
    ordinary = _ordinary_share(repaired)
    if lines_up:
        return ordinary >= 0.8
    return ordinary >= 0.9 and _ordinary_share(garbled) < ordinary - 0.2


def _ordinary_share(text: str) -> float:
    """The share of characters that are common Chinese (GB2312 level 1 once simplified) or
    punctuation: re-aligned garbage lands in symbol rows and rare characters far more often."""
    if not text:
        return 0.0
    simplified = _to_simplified(text)
    return sum(1 for char in simplified if _ordinary(char)) / len(simplified)


@lru_cache(maxsize=8192)
def _ordinary(char: str) -> bool:
    if unicodedata.category(char).startswith("P"):
        return True
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xD7


def _mostly_traditional(text: str) -> bool:
    converted = _to_simplified(text)
    if converted == text or len(converted) != len(text):
        return False  # the common case, decided at C speed: nothing converts
    chinese = sum(1 for char in text if "\u3400" <= char <= "\u9fff")
    if not chinese:
        return False
    traditional = sum(1 for old, new in zip(text, converted, strict=True) if old != new)
    return traditional >= 3 and traditional / chinese >= TRADITIONAL_SHARE


@lru_cache(maxsize=16384)
def _is_traditional(char: str) -> bool:
    return _to_simplified(char) != char


def _to_simplified(text: str) -> str:
    converted: str = _t2s().convert(text)
    return converted


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")
