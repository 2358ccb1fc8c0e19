"""Persian ↔ Latin names: a deterministic transliterator and a key both scripts share.

Persian script leaves out the short vowels (محمد is "Mohammad", "Muhammad" or "Mohamad")
and Latin spellings of one name vary in their vowels ("Rezaei", "Rezaee", "Rezayi"), so the
two sides only meet on a *phonetic key* that ignores what either may leave out:

* consonants, with the letters Persian pronounces alike folded into one (ت/ط → t,
  س/ص/ث → s, ز/ذ/ض/ظ → z, ح/ه → h, غ/ق → q), and the Latin digraphs read as Persian
  letters (kh → x, sh → S, ch → C, zh → J, gh/q → q, ph → f); doubled consonants count
  once (محمد with its unwritten shadda is "Mohammad");
* no vowels inside a word, nor the letters that often stand for vowels: ا/آ/ع/ء/ی/و and
  Latin a/e/i/o/u/y/v/w (و is "v" in «وحید» but "u" in «یوسف», and Latin spellings mix
  "v" and "w"), so «موسوی» and "Mousavi" both give ``ms``;
* the word's *final* vowel as a class, since both scripts write it: ``A`` (ا, "a"),
  ``I`` (ی, "i", "ee", "y"), ``U`` (و, "o", "u"), ``E`` (ه, "e", "eh"). This keeps
  "Reza" (``rzA``) apart from "Rezaei" (``rzI``) and "Zahra" from «زهره» (``zhrE``).
  Names with a final ی read as "a" («مصطفی» Mostafa, «مرتضی», «موسی») are listed.

:func:`phonetic_key` gives the key of a name in either script (one key per word, joined
by spaces); :func:`transliterate` gives a readable letter-for-letter Latin form of
Persian text (without the short vowels it cannot know).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .persian import normalize_text

__all__ = ["has_persian_letters", "phonetic_key", "transliterate"]

# Persian letter → readable Latin (transliterate) ---------------------------------------------
_READABLE = {
    "ا": "a",
    "آ": "a",
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "چ": "ch",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "ژ": "zh",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "z",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "gh",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "و": "v",
    "ه": "h",
    "ی": "y",
}

# Persian letter → key letter; "" for the letters that stand for vowels (or nothing).
_PERSIAN_KEY = {
    **dict.fromkeys("اآعءیوأإؤئ", ""),
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "j",
    "چ": "C",
    "ح": "h",
    "ه": "h",
    "خ": "x",
    "د": "d",
    "ذ": "z",
    "ز": "z",
    "ض": "z",
    "ظ": "z",
    "ر": "r",
    "ژ": "J",
    "ش": "S",
    "غ": "q",
    "ق": "q",
    "ف": "f",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_PERSIAN_FINAL = {"ا": "A", "ی": "I", "و": "U", "ه": "E"}
# Names ending in ی (Arabic alef maqsura) that are read, and written in Latin, with "a".
_FINAL_YEH_AS_A = frozenset(
    {"مصطفی", "مرتضی", "مجتبی", "موسی", "عیسی", "یحیی", "کبری", "صغری", "لیلی", "هدی", "رعنا"}
)

# Latin spelling → key letter, longest first; vowels and semi-vowels give "".
_LATIN_DIGRAPHS = (("kh", "x"), ("sh", "S"), ("ch", "C"), ("zh", "J"), ("gh", "q"), ("ph", "f"))
_LATIN_KEY = {
    **dict.fromkeys("aeiouyvw", ""),
    **{letter: letter for letter in "bdfhjklmnprstz"},
    "q": "q",
    "c": "k",
    "g": "g",
    "x": "ks",
}
_LATIN_FINAL_VOWELS = re.compile(r"(?:[aeiouy]+[hw]?)$")
_WORD_SPLIT = re.compile(r"[^\w]+|_")
_APOSTROPHES = str.maketrans(dict.fromkeys("'`\u2019\u02bc\u02bf"))  # "Sa'eed"


def has_persian_letters(text: str) -> bool:
    """Whether ``text`` has a letter of the Arabic script."""
    return any("\u0600" <= char <= "\u06ff" for char in text)


def transliterate(text: str) -> str:
    """A readable Latin form of Persian text, letter for letter: «علی رضایی» → "li rzayi".

    Short vowels are not written in Persian and so are not guessed. ی and و are "y" and
    "v" at the start of a word and after ا, else vowels ("i"; "u", or "o" at the end); ا/آ
    are "a"; a final ه is "e" unless heard («شاه»). Latin text passes through lower-cased.
    """
    words = []
    for word in normalize_text(text).split():
        letters = []
        for index, letter in enumerate(word):
            # ی and و are consonants at the start of a word and after ا, else vowels.
            is_vowel = index > 0 and word[index - 1] not in "اآ"
            is_last = index == len(word) - 1
            readable = _READABLE.get(letter, letter)
            if letter == "ی" and (is_vowel or is_last):
                readable = "i"
            elif letter == "و" and is_vowel:
                readable = "o" if is_last else "u"
            elif (
                letter == "ه"
                and is_last
                and index
                and word[index - 1] not in "او"
                and not word.endswith("لله")
            ):
                readable = "e"
            letters.append(readable)
        words.append("".join(letters))
    return " ".join(words)


def _persian_word_key(word: str) -> str:
    last = word[-1]
    final = _PERSIAN_FINAL.get(last, "")
    body = word
    if last == "ی" and word in _FINAL_YEH_AS_A:
        final = "A"
    elif last == "ه":
        if len(word) > 1 and word[-2] not in "او" and not word.endswith("لله"):
            body = word[:-1]  # a final vowel: «فاطمه» Fatemeh
        else:
            final = ""  # heard, a consonant: «شاه», «کوه», «عبدالله»
    return _collapse(_PERSIAN_KEY.get(letter, "") for letter in body) + final


def _latin_word_key(word: str) -> str:
    match = _LATIN_FINAL_VOWELS.search(word)
    final = ""
    body = word
    if match is not None and match.start() > 0:
        ending = match.group()
        vowels = ending.rstrip("hw")
        if ending.endswith("w") and not vowels.endswith(("o", "u")):
            vowels = ""  # "Andrew": not a Persian final vowel
        elif ending.endswith("h") and vowels not in ("e", "eh"):
            # "Shah", "Farah": a heard h after the vowel, not a final vowel.
            vowels = ""
        else:
            body = word[: match.start()]
            final = _latin_final(vowels)
    letters: list[str] = []
    index = 0
    while index < len(body):
        pair = body[index : index + 2]
        digraph = next((key for spelling, key in _LATIN_DIGRAPHS if pair == spelling), None)
        if digraph is not None:
            letters.append(digraph)
            index += 2
            continue
        letters.append(_LATIN_KEY.get(body[index], ""))
        index += 1
    return _collapse(letters) + final


def _latin_final(vowels: str) -> str:
    if not vowels:
        return ""
    if vowels.endswith(("i", "y", "ee", "ie")):
        return "I"
    if vowels.endswith(("o", "u")):
        return "U"
    if vowels.endswith("a"):
        return "A"
    return "E"


def _collapse(letters: Iterable[str]) -> str:
    """Join key letters, counting a doubled consonant once ("Abbas", «عبّاس» → ``bs``);
    the same consonant on either side of a vowel counts twice ("Davood" → ``dd``)."""
    out: list[str] = []
    previous: str | None = None
    for letter in letters:
        if letter != previous and letter:
            out.append(letter)
        previous = letter
    return "".join(out)


def phonetic_key(text: str) -> str:
    """The key a name has in both scripts: "Ali Rezaei", «علی رضایی» → ``"lI rzI"``.

    Each word is keyed on its own (Persian words from their letters, Latin words from
    their spelling) and the keys are joined by single spaces in the text's order. Digits
    and words with no key letter at all are dropped; "" for an empty name.
    """
    keys = []
    for word in _WORD_SPLIT.split(normalize_text(text).translate(_APOSTROPHES)):
        if not word or word.isdigit():
            continue
        if has_persian_letters(word):
            key = _persian_word_key(word)
        elif word.isascii():
            key = _latin_word_key(word)
        else:
            continue
        if key:
            keys.append(key)
    return " ".join(keys)
