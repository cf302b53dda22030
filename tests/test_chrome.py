"""newsarchive.extract.chrome: one walker for every chrome vocabulary, same verdicts as the
ancestor walks it replaced (kept below as oracles), each element judged once per page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive.dates import evidence
from newsarchive.extract import article, chrome, discovery, lead, links
from newsarchive.extract.encoding import parse_html

# ---- the ancestor walks the vocabularies replaced (verbatim but for names) ----------------


def old_lead(el: Any, excluded: Any) -> bool:
    node = el
    while node is not None:
        if node in excluded or node.tag in lead.CHROME_TAGS:
            return True
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if node is not el and names.strip() and lead.CHROME_CLASS_RE.search(names):
            return True
        node = node.getparent()
    return False


def old_evidence(el: Any, excluded: Any) -> bool:
    node = el
    in_article = False
    chain = []
    while node is not None:
        chain.append(node)
        node = node.getparent()
    for node in chain:
        if node in excluded:
            return True
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("article", "main"):
            in_article = True
        if tag in evidence.CHROME_TAGS:
            return True
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if names.strip() and evidence.CHROME_CLASS_RE.search(names):
            return True
    return not in_article and any(n.tag == "header" for n in chain)


def old_byline(el: Any, excluded: Any) -> bool:
    node = el
    while node is not None:
        if node in excluded or node.tag in ("footer", "nav", "aside"):
            return True
        node = node.getparent()
    return False


def old_listing(el: Any) -> bool:
    if not isinstance(el.tag, str) or el.tag in ("html", "body"):
        return False
    in_article = any(a.tag == "article" for a in el.iterancestors())
    if el.tag in ("nav", "footer") or (el.tag == "header" and not in_article):
        return True
    if (el.get("role") or "").strip().lower() in chrome.CHROME_ROLES:
        return True
    for token in f"{el.get('class') or ''} {el.get('id') or ''}".lower().split():
        if token == "tag" or (discovery.PAGE_HEADER_RE.fullmatch(token) and not in_article):
            return True
        words = re.split("[-_]+", token)
        if not discovery.TAXONOMY_CLASS_RE.match(token) and any(
            map(discovery.CHROME_WORD_RE.fullmatch, words)
        ):
            return True
    return False


def _tokens(el: Any) -> list[str]:
    return (el.get("class") or "").lower().split() + (el.get("id") or "").lower().split()


def old_chrome_flag(el: Any) -> bool:
    """links' former "chrome" flag (the role now read stripped, as discovery read it)."""
    for token in _tokens(el):
        words = chrome.TOKEN_SPLIT_RE.split(token)
        if words[0] in links.CHROME_WORDS or words[-1] in links.CHROME_WORDS:
            return True
    return el.tag == "nav" or (el.get("role") or "").strip().lower() in chrome.CHROME_ROLES


def old_link_is_chrome(el: Any) -> bool:
    if el.tag in ("header", "footer"):
        inside_content = any(a.tag in ("article", "main") for a in el.iterancestors())
        return not inside_content or old_chrome_flag(el)
    return old_chrome_flag(el)


def old_link_in_chrome(page: Any, el: Any) -> bool:
    return any(
        old_link_is_chrome(a) or any(links.SITEWIDE_RE.search(t) for t in _tokens(a))
        for a in el.iterancestors()
        if a.tag not in ("html", "body")
        and not (page.main is not None and page.contains(a, page.main))
    )


# ---- random pages ---------------------------------------------------------------------------

TAGS = (
    "div", "section", "header", "footer", "nav", "aside", "article", "main", "li", "ul",
    "figure", "form", "p", "span", "a", "time",
)  # fmt: skip
CLASSES = (
    "menu", "nav-bar", "site-header", "header", "tag", "tag-news", "category-menu", "related",
    "ultime-notizie", "clock", "share", "card", "list", "main-content", "footer-links", "x",
    "breadcrumb", "lead", "summary",
)  # fmt: skip
ROLES = ["navigation", " Navigation ", "banner", "main"]
PROSE = "Il consiglio comunale ha approvato ieri il nuovo piano per le scuole della citta. " * 2


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = ""
    if draw(st.booleans()):
        attrs += f' class="{" ".join(draw(st.lists(st.sampled_from(CLASSES), max_size=2)))}"'
    if draw(st.integers(0, 5)) == 0:
        attrs += f' id="{draw(st.sampled_from(CLASSES))}"'
    if draw(st.integers(0, 5)) == 0:
        attrs += f' role="{draw(st.sampled_from(ROLES))}"'
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 4 else []
    text = PROSE if tag == "p" else "x"
    return f"<{tag}{attrs}>{text}{''.join(children)}</{tag}>"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(elements(), min_size=1, max_size=4), st.integers(0, 2**16))
def test_every_vocabulary_judges_as_its_former_walk(parts: list[str], seed: int) -> None:
    tree = parse_html(f"<html><body>{''.join(parts)}</body></html>")
    assert tree is not None
    els = [el for el in tree.iter() if isinstance(el.tag, str)]
    excluded = {el for i, el in enumerate(els) if (seed >> (i % 16)) & 1 and i % 7 == 3}
    lead_map = chrome.ChromeMap(lead.CHROME, excluded)
    evidence_map = chrome.ChromeMap(evidence.CHROME, excluded)
    byline_map = chrome.ChromeMap(article.BYLINE_CHROME, excluded)
    listing_map = chrome.ChromeMap(discovery.LISTING_CHROME)
    page = links._Page.build(tree, "https://example.it/a")
    for el in reversed(els):  # leaves first: the memo must not depend on the query order
        assert lead_map.inside(el) == old_lead(el, excluded)
        assert evidence_map.inside(el) == old_evidence(el, excluded)
        assert byline_map.inside(el) == old_byline(el, excluded)
        assert listing_map.inside(el) == any(map(old_listing, [el, *el.iterancestors()]))
        assert page.is_chrome(el) == old_link_is_chrome(el)
        assert page.in_chrome(el) == old_link_in_chrome(page, el)
        in_block = chrome.is_chrome(el, links.IN_BLOCK_CHROME)
        assert in_block == (old_chrome_flag(el) or el.tag == "footer")


# ---- the rules, one case each ---------------------------------------------------------------


def first(html: str, xpath: str) -> Any:
    tree = parse_html(f"<html><body>{html}</body></html>")
    assert tree is not None
    return tree.xpath(xpath)[0]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<header><time>x</time></header>", True),  # the site header
        ("<article><header><time>x</time></header></article>", False),  # the article's
        ("<header><article><time>x</time></article></header>", False),  # article below it
        ('<div class="orologio"><time>x</time></div>', True),
        ("<main><div><time>x</time></div></main>", False),
    ],
)
def test_evidence_reads_no_site_header(html: str, expected: bool) -> None:
    el = first(html, "//time")
    assert chrome.ChromeMap(evidence.CHROME).inside(el) is expected


def test_the_leads_own_class_does_not_count_its_ancestors_do() -> None:
    el = first('<div class="x"><p class="summary-card">t</p></div>', "//p")
    assert chrome.ChromeMap(lead.CHROME).inside(el) is False
    el = first('<div class="card"><p class="summary">t</p></div>', "//p")
    assert chrome.ChromeMap(lead.CHROME).inside(el) is True


def test_listing_taxonomy_classes_are_no_chrome() -> None:
    """WordPress post_class tokens (tag-x, category-menu) name the post, not a menu."""
    el = first('<article class="post category-menu tag-news"><a href="/a">t</a></article>', "//a")
    assert chrome.ChromeMap(discovery.LISTING_CHROME).inside(el) is False
    el = first('<div class="main-menu"><a href="/a">t</a></div>', "//a")
    assert chrome.ChromeMap(discovery.LISTING_CHROME).inside(el) is True


def test_a_padded_role_is_read() -> None:
    el = first('<div role=" Navigation "><a href="/a">t</a></div>', "//div")
    assert chrome.is_chrome(el, links.CHROME) is True


def test_each_element_is_judged_once_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking about every element of a 200-deep page takes 200 steps, not 200 x 200 / 2."""
    html = "<div>" * 200 + "x" + "</div>" * 200
    tree = parse_html(f"<html><body>{html}</body></html>")
    assert tree is not None
    calls = []
    step = chrome.ChromeMap._step

    def counted(self: chrome.ChromeMap, el: Any, above: int) -> int:
        calls.append(el)
        return step(self, el, above)

    monkeypatch.setattr(chrome.ChromeMap, "_step", counted)
    page_chrome = chrome.ChromeMap(evidence.CHROME)
    els = list(tree.iter())
    for el in reversed(els):
        assert page_chrome.inside(el) is False
    assert len(calls) == len(els) == 202
