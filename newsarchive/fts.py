"""The search syntax of `newsarchive search` and the reading room, turned into SQLite FTS5. Pure.

    corea russia          both words (accents optional: "citta" finds "città")
    corea OR sudan        either word (OR, AND, NOT in capitals; a NOT b)
    russ*                 a word starting with "russ" (Russia, russo, russe...)
    "consiglio di sicurezza"   the words next to each other, in this order
    (corea OR iran) NOT russia   parentheses group
    title:bollette        only in one column: title, description, text or authors

Every word is quoted before it reaches FTS5, so punctuation inside a word ("Corea-Russia",
"l'Onu", "5.000") is searched as the words it contains instead of being FTS5 syntax.
"""

from __future__ import annotations

import re

OPERATORS = ("OR", "AND", "NOT")
COLUMNS = ("title", "description", "text", "authors")
# a quoted phrase, a parenthesis, or a run of anything else that is not a space
TOKEN_RE = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')
COLUMN_RE = re.compile(r"^(" + "|".join(COLUMNS) + r"):(.*)$")
# what the tokenizer keeps of a word (unicode61: letters and digits)
WORDISH_RE = re.compile(r"\w")
SYNTAX_HELP = 'use words, "a phrase", word*, a OR b, a NOT b, (a OR b) c, title:word'


class SearchSyntaxError(ValueError):
    """A search query that is not valid search syntax."""


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _term(token: str) -> str:
    """One word, phrase or prefix as FTS5 text."""
    column = ""
    match = COLUMN_RE.match(token)
    if match:
        column, token = match.group(1) + " : ", match.group(2)
        if not token:
            raise SearchSyntaxError(f"nothing to search after {match.group(1)}:")
    if token.startswith('"'):
        if len(token) < 2 or not token.endswith('"'):
            raise SearchSyntaxError(f"unclosed quote in {token!r}")
        phrase = token[1:-1]
        if not WORDISH_RE.search(phrase):
            raise SearchSyntaxError(f"empty phrase {token!r}")
        return column + _quote(phrase)
    prefix = token.endswith("*")
    word = token.rstrip("*")
    if "*" in word:
        raise SearchSyntaxError(f"* goes only at the end of a word: {token!r}")
    if not WORDISH_RE.search(word):
        raise SearchSyntaxError(f"{token!r} is not a word")
    return column + _quote(word) + ("*" if prefix else "")


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression of a search query; SearchSyntaxError when it is not valid."""
    tokens = TOKEN_RE.findall(text)
    # a column prefix followed by a phrase ("title:" then '"a b"') is one term
    merged: list[str] = []
    for token in tokens:
        if merged and COLUMN_RE.match(merged[-1]) and merged[-1].endswith(":"):
            merged[-1] += token
        else:
            merged.append(token)
    if not merged:
        raise SearchSyntaxError("empty query")
    out: list[str] = []
    depth = 0
    expect_operand = True  # at the start, after an operator or "("
    for token in merged:
        if token in OPERATORS:
            if expect_operand:
                raise SearchSyntaxError(f"{token} needs a word before it (a {token} b)")
            out.append(token)
            expect_operand = True
        elif token == "(":
            depth += 1
            out.append(token)
            expect_operand = True
        elif token == ")":
            if depth == 0:
                raise SearchSyntaxError("a ) without its (")
            if expect_operand:
                raise SearchSyntaxError("empty or unfinished ( ... )")
            depth -= 1
            out.append(token)
        else:
            out.append(_term(token))
            expect_operand = False
    if depth:
        raise SearchSyntaxError("a ( without its )")
    if expect_operand:
        raise SearchSyntaxError(f"{merged[-1]} needs a word after it")
    return " ".join(out)
