"""trafilatura's jusText fallback (external.try_justext and justext_rescue) with its stoplist
lower-cased once per process instead of once per call. Pure.

trafilatura calls jusText without a language (we give it none), so jusText gets the union of
all its stoplists, 154,484 words, and justext.core.classify_paragraphs turns them into a new
lower-cased frozenset on every call: about 45 ms each time a page reaches jusText (41 of 400
corpus pages: the full comparison and the recall escalation), more than the rest of such a
page's extraction. The set is constant data of the installed jusText, so it is built once
(functools.cache); classify_paragraphs below is jusText 3.0's, line for line, with that set
handed in. The result is try_justext's, paragraph for paragraph (tests/test_justext_run.py).
make_paragraphs fires jusText's ParagraphMaker the events lxml.sax would, less the per-element
attribute objects that nothing reads; its paragraphs write their paths and join their text only
when read (LazyParagraph).
"""

from __future__ import annotations

import logging
import pkgutil
import re
from functools import cache
from typing import Any

from justext.core import ParagraphMaker, PathInfo, revise_paragraph_classification
from justext.paragraph import Paragraph
from justext.utils import get_stoplist, get_stoplists
from lxml.etree import Comment, Element, ProcessingInstruction, SubElement, _Element
from lxml.html import HtmlElement
from trafilatura.baseline import basic_cleaning
from trafilatura.settings import JUSTEXT_LANGUAGES, Extractor
from trafilatura.utils import trim

logger = logging.getLogger(__name__)

# trafilatura.external.try_justext's arguments to classify_paragraphs and
# revise_paragraph_classification.
LENGTH_LOW, LENGTH_HIGH = 50, 150
STOPWORDS_LOW, STOPWORDS_HIGH = 0.1, 0.2
MAX_LINK_DENSITY = 0.25
NO_HEADINGS = True
MAX_HEADING_DISTANCE = 150
# jusText's normalize_whitespace (justext.utils) calls a Python function for every run of
# whitespace; normalize_whitespace below does the same in two passes without one: a run that
# holds a line break (\n or \r) becomes "\n", any other run " " (the greedy \s* take the whole
# run around its last line break; the runs left after that pass hold none).
LINE_BREAK_RUN_RE = re.compile(r"\s*[\n\r]\s*")
SPACE_RUN_RE = re.compile(r"[^\S\n\r]+")


@cache
def stoplist(language: str | None) -> frozenset[str]:
    """The lower-cased stoplist try_justext uses for this target language (cached: constant
    data of the installed jusText, the same for every page)."""
    if language in JUSTEXT_LANGUAGES:
        return frozenset(w.lower() for w in get_stoplist(JUSTEXT_LANGUAGES[language]))
    return all_stoplists()


def all_stoplists() -> frozenset[str]:
    """The union of jusText's stoplists, lower-cased: the words of external.jt_stoplist_init()
    (each file's lines, as justext.utils.get_stoplist reads them), made from each file's text
    lower-cased and split at once instead of word by word (40 ms instead of 100)."""
    words: set[str] = set()
    for language in get_stoplists():
        data = pkgutil.get_data("justext", f"stoplists/{language}.txt") or b""
        words.update(data.decode("utf8").lower().splitlines())
    return frozenset(words)


def classify_paragraphs(paragraphs: list[Any], stopwords: frozenset[str]) -> None:
    """justext.core.classify_paragraphs with try_justext's settings, its stoplist given ready."""
    for paragraph in paragraphs:
        length = len(paragraph)
        stopword_density = paragraph.stopwords_density(stopwords)
        link_density = paragraph.links_density()
        paragraph.heading = bool(not NO_HEADINGS and paragraph.is_heading)
        text = paragraph.text
        if (
            link_density > MAX_LINK_DENSITY
            or "\xa9" in text
            or "&copy" in text
            or "select" in paragraph.dom_path
        ):
            paragraph.cf_class = "bad"
        elif length < LENGTH_LOW:
            paragraph.cf_class = "bad" if paragraph.chars_count_in_links > 0 else "short"
        elif stopword_density >= STOPWORDS_HIGH:
            paragraph.cf_class = "good" if length > LENGTH_HIGH else "neargood"
        elif stopword_density >= STOPWORDS_LOW:
            paragraph.cf_class = "neargood"
        else:
            paragraph.cf_class = "bad"


def normalize_whitespace(text: str) -> str:
    """justext.utils.normalize_whitespace: whitespace runs as one "\n" (with a line break) or
    one " " (tests/test_justext_run.py holds it to jusText's)."""
    return str(SPACE_RUN_RE.sub(" ", LINE_BREAK_RUN_RE.sub("\n", text)))


class LazyParagraph(Paragraph):  # type: ignore[misc]
    """jusText 3.0's Paragraph, whose path strings (dom_path, xpath) are written when read,
    from the path as it was when the paragraph started, and whose text is joined once it is
    complete (freeze). ParagraphMaker starts one at every block tag, and tests each old one
    with len() (its text, joined again) before the next: most hold no text and are dropped
    unread (3 of 4 on corpus pages)."""

    def __init__(self, path: PathInfo) -> None:
        self._path = tuple(path._elements)  # (tag, order, children) tuples, as they are now
        self._text: str | None = None
        self.text_nodes: list[str] = []
        self.chars_count_in_links = 0
        self.tags_count = 0
        self.class_type = ""

    @property
    def dom_path(self) -> str:
        """PathInfo.dom when the paragraph started."""
        return ".".join(e[0] for e in self._path)

    @property
    def xpath(self) -> str:
        """PathInfo.xpath when the paragraph started."""
        return "/" + "/".join(f"{tag}[{order:d}]" for tag, order, _ in self._path)

    @property
    def text(self) -> str:
        """Paragraph.text (joined once frozen)."""
        if self._text is None:
            return normalize_whitespace("".join(self.text_nodes).strip())
        return self._text

    def append_text(self, text: str) -> str:
        """Paragraph.append_text."""
        text = normalize_whitespace(text)
        self.text_nodes.append(text)
        return text

    def freeze(self) -> None:
        """Keep the text: no more text comes (the paragraph maker has moved on)."""
        self._text = self.text


class LazyParagraphMaker(ParagraphMaker):  # type: ignore[misc]
    """ParagraphMaker making LazyParagraphs. It keeps a finished paragraph exactly when
    jusText does (`self.paragraph and self.paragraph.contains_text()`: a text that is not
    empty, and text nodes), the cheap test first; the paragraph is complete: frozen."""

    paragraph: LazyParagraph | None
    paragraphs: list[LazyParagraph]

    def _start_new_pragraph(self) -> None:
        paragraph = self.paragraph
        if paragraph is not None and paragraph.contains_text():
            paragraph.freeze()
            if paragraph.text:
                self.paragraphs.append(paragraph)
        self.paragraph = LazyParagraph(self.path)


def make_paragraphs(root: _Element) -> list[Any]:
    """ParagraphMaker.make_paragraphs(root) (jusText 3.0): the events lxml.sax.saxify fires
    for root, fired at the same handler in the same order, without the attribute, namespace and
    qualified-name objects saxify builds for every element (ParagraphMaker reads none of them:
    it takes the local name of an element, name[1]): about 1 ms of its 9 on a corpus page."""
    handler = LazyParagraphMaker()
    handler.startDocument()
    before, sibling = [], root.getprevious()
    while sibling is not None and sibling.tag is ProcessingInstruction:
        before.append(sibling)
        sibling = sibling.getprevious()
    for sibling in reversed(before):
        _fire(sibling, handler)
    _fire(root, handler)
    sibling = root.getnext()
    while sibling is not None and sibling.tag is ProcessingInstruction:
        _fire(sibling, handler)
        sibling = sibling.getnext()
    handler.endDocument()
    return list(handler.paragraphs)


def _fire(element: _Element, handler: ParagraphMaker) -> None:
    """lxml.sax.ElementTreeProducer._recursive_saxify's events, as ParagraphMaker reads them
    (its processingInstruction and prefix mappings are ContentHandler's, doing nothing)."""
    tag = element.tag
    if tag is not Comment and tag is not ProcessingInstruction:
        name = tuple(tag[1:].split("}", 1)) if tag[0] == "{" and "}" in tag else (None, tag)
        handler.startElementNS(name, None, None)
        if element.text:
            handler.characters(element.text)
        for child in element:
            _fire(child, handler)
        handler.endElementNS(name, None)
    if element.tail:
        handler.characters(element.tail)


def try_justext(tree: HtmlElement, url: str | None, target_language: str | None) -> _Element:
    """trafilatura.external.try_justext: the paragraphs jusText keeps, as <p> in a <body>."""
    body = Element("body")
    try:
        paragraphs = make_paragraphs(tree)
        classify_paragraphs(paragraphs, stoplist(target_language))
        revise_paragraph_classification(paragraphs, MAX_HEADING_DISTANCE)
    except Exception as exc:  # noqa: BLE001 - as trafilatura: jusText failing yields nothing
        logger.debug("justext failed on %s: %s", url, exc)
    else:
        for paragraph in paragraphs:
            if not paragraph.is_boilerplate:
                SubElement(body, "p").text = paragraph.text
    return body


def justext_rescue(tree: HtmlElement, options: Extractor) -> tuple[_Element, str]:
    """trafilatura.external.justext_rescue: jusText on the basic-cleaned tree, and its text."""
    body = try_justext(basic_cleaning(tree), options.url, options.lang)
    return body, trim(" ".join(body.itertext()))
