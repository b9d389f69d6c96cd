"""Slugs for every name the catalog slugs (categories, tags, courses), in any script.

Django's `slugify` keeps ASCII only: "Физика", "数学" or "🚀" become "" and "Python для
начинающих" becomes "python", the slug of another name. No transliteration library is among
the dependencies, so a name that loses letters or symbols on the way to ASCII keeps what
survives and gains a short digest of the whole name: the slug is never empty, two different
names never share one, and the same name (in any letter case) always gives the same slug,
so a second "Физика" conflicts as a second "Physics" does. Accents are not a loss ("Café"
is "cafe", as before); symbols are ("C++" is not "C").
"""

from __future__ import annotations

import hashlib
import unicodedata

from django.utils.text import slugify

DIGEST_LENGTH = 8


def _loses_characters(name: str) -> bool:
    """Whether `slugify` drops a letter, digit or symbol of `name` (accents aside)."""
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            continue
        symbol = unicodedata.category(char) in ("Sm", "Sc", "So")  # "C++", "🚀", "€"
        if symbol or (char.isalnum() and not char.isascii()):
            return True
    return False


def _digest(name: str) -> str:
    normal = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return hashlib.blake2s(normal.encode(), digest_size=16).hexdigest()[:DIGEST_LENGTH]


def slug_for(name: str, *, max_length: int, fallback: str) -> str:
    """The slug of `name`, at most `max_length` long; `fallback` names it when no ASCII
    letter survives ("category-1a2b3c4d")."""
    base = slugify(name)
    if base and not _loses_characters(name):
        return base[:max_length].strip("-")
    room = max_length - DIGEST_LENGTH - 1
    readable = (base or fallback)[:room].strip("-") or fallback[:room]
    return f"{readable}-{_digest(name)}"
