"""One chrome check: is an element page chrome (navigation, header, footer, menus, share bars)?

Each caller says what chrome means for it as data, a `Vocabulary` (tags, roles, class/id words
or patterns, whether the element's own class counts); `ChromeMap` answers for the elements of
one page with one walker. A verdict is kept per element (for that map's vocabulary), and an
element's verdict is derived from its parent's: the ancestors of many queried elements are
walked once per page, O(n) instead of O(n x depth).

The date evidence (newsarchive.dates) imports this module too: dates/ already depends on
extract/ (metadata), never the other way, so both may share it from here. Pure: lxml only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# ARIA landmark roles of page chrome (every vocabulary that reads roles uses this one set).
CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "menu", "menubar", "search"})
ARTICLE_TAGS = frozenset({"article", "main"})
TOKEN_SPLIT_RE = re.compile(r"[-_]+")
VERDICT_CACHE_SIZE = 8192

# What one element says about itself (ordered: YES beats PAGE beats NO)
NO, PAGE, YES = 0, 1, 2
# Bits of the state inherited from the ancestors
CHROME, ARTICLE, PENDING = 1, 2, 4


@dataclass(frozen=True, eq=False)  # hashed by identity: vocabularies are module constants
class Vocabulary:
    """What one caller counts as page chrome: tags, roles and class/id words, as data.

    An element is chrome when its tag is in `tags`, its role in `roles`, or its class/id
    matches (`names_re` searched in "class id"; or a class/id token: one of `tokens`, its
    first or last [-_] word in `edge_words`, any word fully matching `word_re` unless the
    token starts with `skip_token_re`, or `token_re` found in it). `page_tags` (the site's
    <header>) and tokens fully matching `page_token_re` are chrome only outside the article
    (no `article_tags` element above them; with `article_in_chain`, none anywhere between the
    root and the element asked about, below the header too). `own_names` False: an element's
    own class, id and role do not count, only its ancestors' (and its tag). Elements with a
    `transparent_tags` tag never count (nor their attributes).
    """

    tags: frozenset[str] = frozenset()
    page_tags: frozenset[str] = frozenset()
    article_tags: frozenset[str] = ARTICLE_TAGS
    roles: frozenset[str] = frozenset()
    names_re: re.Pattern[str] | None = None
    tokens: frozenset[str] = frozenset()
    edge_words: frozenset[str] = frozenset()
    word_re: re.Pattern[str] | None = None
    skip_token_re: re.Pattern[str] | None = None
    token_re: re.Pattern[str] | None = None
    page_token_re: re.Pattern[str] | None = None
    own_names: bool = True
    article_in_chain: bool = False
    transparent_tags: frozenset[str] = frozenset()


def _tag(el: Any) -> str:
    tag = el.tag
    return tag if isinstance(tag, str) else ""


def verdict(el: Any, vocab: Vocabulary, *, names: bool = True) -> int:
    """What the element alone says: YES (chrome), PAGE (chrome outside the article) or NO."""
    tag = _tag(el)
    if not tag or tag in vocab.transparent_tags:
        return NO
    by_tag = YES if tag in vocab.tags else PAGE if tag in vocab.page_tags else NO
    if by_tag == YES or not names or not el.attrib:
        return by_tag
    by_names = _names_verdict(vocab, el.get("class"), el.get("id"), el.get("role"))
    return max(by_tag, by_names)


@lru_cache(maxsize=VERDICT_CACHE_SIZE)
def _names_verdict(vocab: Vocabulary, cls: str | None, ident: str | None, role: str | None) -> int:
    """The verdict of class, id and role (cached: templates repeat them on every page)."""
    if role and (role.strip().lower() in vocab.roles):
        return YES
    if vocab.names_re is not None:
        names = f"{cls or ''} {ident or ''}"
        if names.strip() and vocab.names_re.search(names):
            return YES
    found = NO
    for token in f"{cls or ''} {ident or ''}".lower().split():
        if token in vocab.tokens or (vocab.token_re and vocab.token_re.search(token)):
            return YES
        words = TOKEN_SPLIT_RE.split(token)
        if words[0] in vocab.edge_words or words[-1] in vocab.edge_words:
            return YES
        skipped = vocab.skip_token_re is not None and vocab.skip_token_re.match(token)
        if vocab.word_re is not None and not skipped and any(map(vocab.word_re.fullmatch, words)):
            return YES
        if vocab.page_token_re is not None and vocab.page_token_re.fullmatch(token):
            found = PAGE
    return found


def is_chrome(el: Any, vocab: Vocabulary, *, in_article: bool = False) -> bool:
    """Whether the element alone is chrome (`in_article`: it has an article above it)."""
    said = verdict(el, vocab)
    return said == YES or (said == PAGE and not in_article)


@dataclass
class ChromeMap:
    """Chrome verdicts for the elements of one page under one vocabulary, memoized.

    excluded: elements that count as chrome whatever they say (the related-link blocks);
    transparent: elements that never count (the ancestors of the article body).
    """

    vocab: Vocabulary
    excluded: Collection[Any] = ()
    transparent: Collection[Any] = ()
    states: dict[Any, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.excluded = set(self.excluded)
        self.transparent = set(self.transparent)

    def _step(self, el: Any, above: int) -> int:
        """The state of `el` from its parent's (`above`)."""
        vocab = self.vocab
        article = above & ARTICLE or (ARTICLE if _tag(el) in vocab.article_tags else 0)
        if above & CHROME:
            return CHROME | article
        if el in self.excluded:
            return CHROME | article
        said = NO if el in self.transparent else verdict(el, vocab)
        if said == YES or (said == PAGE and not above & ARTICLE and not vocab.article_in_chain):
            return CHROME | article
        if vocab.article_in_chain and (above & PENDING or said == PAGE) and not article:
            return PENDING
        return article

    def state(self, el: Any) -> int:
        """The state of `el`: its ancestors' chain is walked only up to the first known one."""
        states = self.states
        if el in states:
            return states[el]
        chain = []
        node = el
        while node is not None and node not in states:
            chain.append(node)
            node = node.getparent()
        current = states[node] if node is not None else 0
        for node in reversed(chain):
            current = self._step(node, current)
            states[node] = current
        return current

    def inside(self, el: Any) -> bool:
        """Whether `el` or one of its ancestors is chrome (by the vocabulary's own_names)."""
        if self.vocab.own_names:
            return bool(self.state(el) & (CHROME | PENDING))
        parent = el.getparent()
        above = self.state(parent) if parent is not None else 0
        if above & CHROME or el in self.excluded:
            return True
        return verdict(el, self.vocab, names=False) == YES

    def above(self, el: Any) -> bool:
        """Whether an ancestor of `el` (not `el` itself) is chrome."""
        parent = el.getparent()
        return parent is not None and bool(self.state(parent) & (CHROME | PENDING))

    def in_article(self, el: Any) -> bool:
        """Whether an element with one of the vocabulary's article tags is above `el`."""
        parent = el.getparent()
        return parent is not None and bool(self.state(parent) & ARTICLE)
