"""Classify a fetched page: article, listing, wall (bot, consent, paywall), soft 404, empty. Pure.

``classify`` looks at what extraction already has (status, headers, the parsed tree, JSON-LD and
the extracted text) and runs the checks in a fixed order; the first that fires wins:

1. bot_challenge: Cloudflare / AWS WAF / DataDome / PerimeterX / captcha-only / access-denied
   pages, whatever the HTTP status (a challenge is often served as 403 or 503);
2. error: any other HTTP status >= 400;
3. consent_wall: a consent host, or consent text ("Questo sito utilizza cookie", "accetta i
   cookie o abbonati") standing in for the content;
4. soft_404: "Pagina non trovata" / "404" in the title or h1, or in the text, with little text;
5. empty: no text, and no visible text or a JavaScript shell;
6. paywall: JSON-LD ``isAccessibleForFree`` false, or paywall phrases, with a short text. A
   long text (>= WALL_MAX_TEXT) with ``isAccessibleForFree`` false is an ``article`` with the
   ``paywall`` flag: the page is marked paywalled but the full text was served (metered or
   crawler access), and losing that text would be worse than missing the wall;
7. listing: many same-site teaser links, no article JSON-LD, and a home/section URL,
   CollectionPage/ItemList types, or a text made of teaser headlines;
8. article (or empty when there is no text at all).

Conservative by design: every wall check is gated by a short extracted text, so a real article
(long text) is never turned into a wall by a stray cookie banner, CMP script or "Abbonati" link.
Cheap checks run first; the tree is only scanned (visible text, anchors, marker attributes) when
the text is short or when there is no article JSON-LD.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from newsarchive.metadata import ARTICLE_TYPES

logger = logging.getLogger(__name__)

# Outcomes (pages.outcome). The last three are decided before classify() runs.
ARTICLE = "article"
LISTING = "listing"
EMPTY = "empty"
CONSENT_WALL = "consent_wall"
PAYWALL = "paywall"
BOT_CHALLENGE = "bot_challenge"
SOFT_404 = "soft_404"
ERROR = "error"
TOO_LARGE = "too_large"
NOT_HTML = "not_html"
EXTRACTION_FAILED = "extraction_failed"
OUTCOMES = (
    ARTICLE,
    LISTING,
    EMPTY,
    CONSENT_WALL,
    PAYWALL,
    BOT_CHALLENGE,
    SOFT_404,
    ERROR,
    TOO_LARGE,
    NOT_HTML,
    EXTRACTION_FAILED,
)
PAYWALL_FLAG = "paywall"

# Lengths, in characters of extracted text unless said otherwise.
WALL_MAX_TEXT = 1500  # at or above: content, never a wall / challenge / 404
CONSENT_MAX_TEXT = 1000
SOFT_404_MAX_TEXT = 1000  # with article JSON-LD
SOFT_404_MAX_TEXT_NO_LD = 3000  # without: 404 pages often list "i più letti"
EMPTY_MAX_TEXT = 200
EMPTY_MAX_VISIBLE = 300  # visible body text (scripts, styles, noscript excluded)
WEAK_MARKER_MAX_VISIBLE = 600  # a challenge page shows a few lines
CONSENT_MAX_VISIBLE = 2500
VISIBLE_SCAN_CHARS = 3_000  # enough to compare with the *_VISIBLE limits; stops the scan early
SCRIPT_SCAN_CHARS = 4_000  # per inline script
TEXT_HEAD_CHARS = 600
TEXT_TAIL_CHARS = 1_000
PAYWALL_TEASER_MAX_TEXT = 1000  # isAccessibleForFree=false alone means paywall below this
TEASER_SCAN_LINKS = 200
TEASER_MIN_LINKS = 15
TEASER_MIN_CHARS = 25
TEASER_MAX_CHARS = 200
TEASER_MIN_WORDS = 4
TEASER_LINES_MIN = 5
TEASER_LINES_SHARE = 0.3
PROSE_LINE_CHARS = 250
PROSE_MIN_CHARS = 1000
PROSE_SHARE = 0.5
SECTION_MAX_SEGMENTS = 2
SECTION_MAX_HYPHENS = 2

CF_HEADER = "cf-mitigated"
AWS_WAF_HEADER = "x-amzn-waf-action"
# Substring -> reason, searched in script srcs/inline code and iframe srcs. Each is specific to
# an interstitial (normal pages of protected sites carry other scripts: jsd/main.js, tags.js).
STRONG_BOT_MARKERS = (
    ("_cf_chl_opt", "cloudflare challenge"),
    ("cf_chl_", "cloudflare challenge"),
    ("orchestrate/chl_page", "cloudflare challenge"),
    ("orchestrate/managed", "cloudflare challenge"),
    ("orchestrate/jsch", "cloudflare challenge"),
    ("awsWafCookieDomainList", "aws waf captcha"),
    ("gokuProps", "aws waf captcha"),
    ("captcha.awswaf.com", "aws waf captcha"),
    ("captcha-delivery.com", "datadome captcha"),
    ("_pxCaptcha", "perimeterx captcha"),
    ("px-captcha", "perimeterx captcha"),
    ("captcha.px-cdn.net", "perimeterx captcha"),
)
# Also found on normal pages: they count only when the page shows almost no text.
WEAK_BOT_MARKERS = (
    ("/cdn-cgi/challenge-platform/", "cloudflare challenge"),
    ("AwsWafIntegration", "aws waf challenge"),
    ("hcaptcha.com", "captcha"),
    ("recaptcha/api", "captcha"),
    ("challenges.cloudflare.com/turnstile", "captcha"),
)
# Elements found only on challenge / block pages (id) or on a captcha widget (class).
BOT_ATTR_XPATH = etree.XPath(
    "//*[@id='challenge-form' or @id='challenge-running' or @id='challenge-stage'"
    " or @id='cf-error-details' or @id='px-captcha' or @id='cf-challenge-running'"
    " or contains(@class,'g-recaptcha') or contains(@class,'h-captcha')"
    " or contains(@class,'cf-turnstile')]"
)
STRONG_BOT_IDS = {
    "challenge-form": "cloudflare challenge",
    "challenge-running": "cloudflare challenge",
    "challenge-stage": "cloudflare challenge",
    "cf-challenge-running": "cloudflare challenge",
    "cf-error-details": "cloudflare block page",
    "px-captcha": "perimeterx captcha",
}
BOT_TITLE_RE = re.compile(
    r"^\s*(?:just a moment|un momento|solo un momento|attention required|checking your browser"
    r"|one more step|access denied|accesso negato|accesso bloccato|request blocked"
    r"|pardon our interruption|ddos-guard|robot check|human verification|verifica umana"
    r"|are you a robot|sei un robot)",
    re.I,
)
BOT_TEXT_RE = re.compile(
    r"checking (?:if the site connection is secure|your browser)|verify(?:ing)? you are (?:a )?human"
    r"|enable javascript and cookies to continue|verifica (?:di essere|che tu sia) (?:un )?(?:essere )?umano"
    r"|sorry, you have been blocked|you don't have permission to access"
    r"|access to this page has been denied|please enable js and disable any ad blocker"
    r"|press (?:&|and) hold|ddos protection by|non sei un robot",
    re.I,
)

CONSENT_HOST_RE = re.compile(r"^(?:consent\.|guce\.|consent-)", re.I)
CONSENT_TITLE_RE = re.compile(
    r"before you continue|prima di continuare|cookie (?:consent|wall|policy)|consenso (?:ai )?cookie"
    r"|privacy e cookie|informativa (?:sui )?cookie",
    re.I,
)
CONSENT_TEXT_RE = re.compile(
    r"questo sito (?:web )?(?:utilizza|usa) (?:i )?cookie|(?:utilizziamo|usiamo) (?:i )?cookie"
    r"|accetta e continua|accetta tutt[io]|accetta i cookie|consenso ai cookie"
    r"|gestisci (?:le )?(?:preferenze|opzioni)|this (?:site|website) uses cookies|we use cookies"
    r"|accept all cookies|i nostri partner (?:e noi )?(?:utilizziamo|trattiamo)",
    re.I,
)
PAY_OR_OK_RE = re.compile(
    r"accett\w* (?:i )?cookie.{0,80}abbona|abbona\w*.{0,80}accett\w* (?:i )?cookie"
    r"|rifiuta e abbonati|paga o accetta|pay or (?:okay|ok|accept)",
    re.I | re.S,
)
CMP_RE = re.compile(
    r"iubenda|didomi|quantcast|onetrust|optanon|cookielaw\.org|consensu\.org|cookiebot"
    r"|usercentrics|trustarc|consentmanager|sourcepoint|__tcfapi|/cmp[/.]|\bcmp\.",
    re.I,
)

NOT_FOUND_TITLE_RE = re.compile(
    r"pagina non trovata|pagina (?:non disponibile|inesistente)|page not found|\bnot found\b"
    r"|(?:error|errore|erreur|fehler)\s*404|404\s*(?:error|errore)|^\s*404\b"
    r"|seite nicht gefunden|page introuvable|p[aá]gina no encontrada|contenuto non trovato",
    re.I,
)
NOT_FOUND_TEXT_RE = re.compile(
    r"la pagina (?:che (?:cercavi|stai cercando|hai cercato|hai richiesto)|richiesta)"
    r" (?:non|è stata)|pagina non trovata|questa pagina non esiste|page not found"
    r"|the page you (?:are looking for|requested|were looking for)"
    r" (?:could not be found|does not exist|doesn't exist|was not found|cannot be found)",
    re.I,
)

PAYWALL_HINTS = ("abbonat", "riservat", "continuare a leggere", "subscribe", "subscribers")
PAYWALL_TEXT_RE = re.compile(
    r"(?:contenuto|articolo) riservato agli abbonati|riservat[oa] agli abbonati"
    r"|per continuare a leggere|abbonati per (?:leggere|continuare)|sei già abbonato\?"
    r"|questo (?:contenuto|articolo) è riservato|leggi l'articolo completo abbonandoti"
    r"|subscribe to (?:continue|keep) reading|this (?:content|article) is for subscribers only",
    re.I,
)
FREE_FALSE_RE = re.compile(r'"isAccessibleForFree"\s*:\s*(?:false|"false"|"no")', re.I)
FREE_FALSE_VALUES = (False, "false", "no", "False")
# Attribute-axis form: several times faster in libxml2 than //*[contains(@class, ...)].
PAYWALL_ELEMENTS_XPATH = etree.XPath(
    "//@class[contains(.,'paywall') or contains(.,'Paywall') or contains(.,'regwall')]/.."
    " | //@id[contains(.,'paywall')]/.."
)
SHELL_XPATH = etree.XPath(
    "//body//div[@id='root' or @id='app' or @id='__next' or @id='__nuxt' or @id='___gatsby'"
    " or @id='svelte'][not(*)][not(normalize-space())]"
)
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
JS_NOTICE_RE = re.compile(r"javascript|\bjs\b", re.I)

LISTING_TYPES = {"collectionpage", "itemlist", "sitenavigationelement", "searchresultspage"}
HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.php", "/home", "/home/", "/it/"}
ARTICLE_HREF_RE = re.compile(
    r"\d{5,}|/(?:19|20)\d{2}/\d{1,2}/|[a-z0-9]+(?:[-_][a-z0-9]+){3,}|\.s?html?$", re.I
)
SECTION_SEGMENT_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Verdict:
    """What a page is, why, and extra flags (e.g. ``paywall`` on a full paywalled article)."""

    outcome: str
    reason: str
    flags: tuple[str, ...] = ()


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value).strip().lower()
    return ""


def _norm(value: str) -> str:
    return " ".join(value.split())


def _site_root(host: str) -> str:
    labels = host.lower().removeprefix("www.").split(".")
    return ".".join(labels[-2:])


class _Page:
    """Lazy views of one page, each computed at most once."""

    def __init__(self, tree: HtmlElement, text: str | None, title: str | None, url: str) -> None:
        self.tree = tree
        self.text = text or ""
        self.given_title = title or ""
        self.url = url
        self.parts = urlsplit(url)

    @cached_property
    def title(self) -> str:
        """The <title> (first one) and the given title, joined."""
        el = self.tree.find(".//title")
        own = _norm(el.text_content()) if el is not None else ""
        return f"{own}\n{_norm(self.given_title)}".strip()

    @cached_property
    def h1(self) -> str:
        """The first h1's text."""
        el = self.tree.find(".//h1")
        return _norm(el.text_content())[:300] if el is not None else ""

    @cached_property
    def scripts(self) -> str:
        """Script and iframe srcs and the head of each inline script, one blob."""
        code: list[str] = []
        for el in self.tree.iter("script", "iframe"):
            if src := el.get("src"):
                code.append(src)
            if el.tag == "script" and el.text and "ld+json" not in (el.get("type") or ""):
                code.append(el.text[:SCRIPT_SCAN_CHARS])
        return "\n".join(code)

    @cached_property
    def _metas(self) -> tuple[str, str]:
        """(og:type, microdata isAccessibleForFree) from one pass over <meta>."""
        og_type = free = ""
        for el in self.tree.iter("meta"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            if key == "og:type" and not og_type:
                og_type = (el.get("content") or "").strip().lower()
            elif key == "isaccessibleforfree":
                free = (el.get("content") or "").strip().lower()
        return og_type, free

    @property
    def og_type(self) -> str:
        """The og:type meta content, lower-cased."""
        return self._metas[0]

    @cached_property
    def free_blob(self) -> str:
        """JSON-LD blocks that mention isAccessibleForFree, and its microdata value."""
        found = [
            el.text
            for el in self.tree.iter("script")
            if el.text and "ld+json" in (el.get("type") or "") and "isAccessibleFor" in el.text
        ]
        if self._metas[1]:
            found.append(f'"isAccessibleForFree": "{self._metas[1]}"')
        return "\n".join(found)

    @cached_property
    def visible(self) -> str:
        """Visible body text (no script/style/noscript), collapsed, about VISIBLE_SCAN_CHARS."""
        body = self.tree.find("body")
        if body is None:
            return ""
        chunks: list[str] = []
        size = 0
        for el in body.iter():
            pieces = (
                el.text if isinstance(el.tag, str) and el.tag not in HIDDEN_TAGS else None,
                el.tail if el is not body else None,
            )
            for piece in pieces:
                if piece and (piece := _norm(piece)):
                    chunks.append(piece)
                    size += len(piece) + 1
            if size >= VISIBLE_SCAN_CHARS:
                break
        return " ".join(chunks)[:VISIBLE_SCAN_CHARS]

    @cached_property
    def teasers(self) -> dict[str, str]:
        """Same-site article-like links with headline-length anchors: path -> anchor text."""
        root = _site_root(self.parts.hostname or "")
        found: dict[str, str] = {}
        for a in self.tree.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("#", "javascript:", "mailto:")):
                continue
            anchor = _norm(a.text_content())
            if not TEASER_MIN_CHARS <= len(anchor) <= TEASER_MAX_CHARS:
                continue
            if anchor.count(" ") < TEASER_MIN_WORDS - 1:
                continue
            try:
                link = urlsplit(href)
            except ValueError:
                continue
            if link.hostname and _site_root(link.hostname) != root:
                continue
            if link.path != self.parts.path and ARTICLE_HREF_RE.search(link.path):
                found.setdefault(link.path, anchor)
                if len(found) >= TEASER_SCAN_LINKS:
                    break
        return found


def _bot_challenge(page: _Page, headers: Mapping[str, str] | None) -> str | None:
    if "challenge" in _header(headers, CF_HEADER):
        return "cloudflare challenge (cf-mitigated header)"
    waf = _header(headers, AWS_WAF_HEADER)
    if waf in ("captcha", "challenge"):
        return f"aws waf {waf} ({AWS_WAF_HEADER} header)"
    if len(page.text) >= WALL_MAX_TEXT:
        return None
    scripts = page.scripts
    for marker, reason in STRONG_BOT_MARKERS:
        if marker in scripts:
            return reason
    if BOT_TITLE_RE.search(page.title) or BOT_TITLE_RE.search(page.h1):
        return "challenge or access-denied title"
    if len(page.visible) >= WEAK_MARKER_MAX_VISIBLE:
        return None
    elements = BOT_ATTR_XPATH(page.tree)
    for el in elements:
        if reason := STRONG_BOT_IDS.get(el.get("id") or ""):
            return reason
    for marker, reason in WEAK_BOT_MARKERS:
        if marker in scripts:
            return f"{reason} with little visible text"
    if elements:
        return "captcha widget with little visible text"
    if BOT_TEXT_RE.search(page.visible) or BOT_TEXT_RE.search(page.text):
        return "challenge text"
    return None


def _consent_wall(page: _Page) -> str | None:
    if CONSENT_HOST_RE.match(page.parts.hostname or ""):
        return "consent host"
    if len(page.text) >= CONSENT_MAX_TEXT:
        return None
    if PAY_OR_OK_RE.search(page.text):
        return "pay-or-accept cookie wall"
    if CONSENT_TEXT_RE.search(page.text):
        return "consent text as main content"
    if CONSENT_TITLE_RE.search(page.title):
        return "consent title"
    if len(page.text) >= EMPTY_MAX_TEXT or len(page.visible) >= CONSENT_MAX_VISIBLE:
        return None
    if PAY_OR_OK_RE.search(page.visible):
        return "pay-or-accept cookie wall"
    if CONSENT_TEXT_RE.search(page.visible) and (cmp := CMP_RE.search(page.scripts)):
        return f"consent interstitial ({cmp.group(0).lower()})"
    return None


def _soft_404(page: _Page, has_article_ld: bool) -> str | None:
    limit = SOFT_404_MAX_TEXT if has_article_ld else SOFT_404_MAX_TEXT_NO_LD
    if len(page.text) < limit and (
        NOT_FOUND_TITLE_RE.search(page.title) or NOT_FOUND_TITLE_RE.search(page.h1)
    ):
        return "not-found title"
    if len(page.text) < SOFT_404_MAX_TEXT and NOT_FOUND_TEXT_RE.search(
        page.text[:TEXT_HEAD_CHARS] or page.visible[:TEXT_HEAD_CHARS]
    ):
        return "not-found text"
    return None


def _empty(page: _Page) -> str | None:
    if len(page.text) >= EMPTY_MAX_TEXT:
        return None
    if len(page.visible) >= EMPTY_MAX_VISIBLE:
        return None
    if SHELL_XPATH(page.tree):
        return "javascript shell (empty root element)"
    for el in page.tree.iter("noscript"):
        if JS_NOTICE_RE.search(el.text_content()[:500]):
            return "javascript shell (noscript notice)"
    return None if page.text else "no text and no visible text"


def _free_false(jsonld: dict[str, Any] | None, page: _Page) -> str | None:
    if jsonld is not None:
        if jsonld.get("isAccessibleForFree") in FREE_FALSE_VALUES:
            return "JSON-LD isAccessibleForFree=false"
        parts = jsonld.get("hasPart")
        for part in parts if isinstance(parts, list) else [parts]:
            if isinstance(part, dict) and part.get("isAccessibleForFree") in FREE_FALSE_VALUES:
                return f"JSON-LD hasPart isAccessibleForFree=false ({part.get('cssSelector')})"
    if FREE_FALSE_RE.search(page.free_blob):
        return "JSON-LD isAccessibleForFree=false"
    return None


def _paywall(page: _Page, jsonld: dict[str, Any] | None) -> Verdict | None:
    size = len(page.text)
    text = page.text
    if size > TEXT_HEAD_CHARS + TEXT_TAIL_CHARS:
        text = f"{text[:TEXT_HEAD_CHARS]}\n{text[-TEXT_TAIL_CHARS:]}"
    lowered = text.lower()
    hinted = any(hint in lowered for hint in PAYWALL_HINTS)
    phrase = PAYWALL_TEXT_RE.search(text) if hinted else None
    if phrase is None and size < WALL_MAX_TEXT:
        for el in PAYWALL_ELEMENTS_XPATH(page.tree):
            if phrase := PAYWALL_TEXT_RE.search(el.text_content()[:2000]):
                break
    said = f"paywall phrase {phrase.group(0).lower()!r}" if phrase else None
    if reason := _free_false(jsonld, page):
        if size < PAYWALL_TEASER_MAX_TEXT or (said and size < WALL_MAX_TEXT):
            return Verdict(PAYWALL, f"{reason}, short text")
        return Verdict(ARTICLE, f"{reason}, full text present", (PAYWALL_FLAG,))
    if said is None:
        return None
    if size < WALL_MAX_TEXT:
        return Verdict(PAYWALL, f"{said} with short text")
    return Verdict(ARTICLE, f"{said}, full text present", (PAYWALL_FLAG,))


def _prose_like(text: str) -> bool:
    """True when most of the text is paragraphs, as in an article (not headlines)."""
    prose = sum(len(line) for line in text.split("\n") if len(line) >= PROSE_LINE_CHARS)
    return prose >= PROSE_MIN_CHARS and prose >= PROSE_SHARE * len(text)


def _section_like(path: str) -> bool:
    """True for a home page or a short section path such as /esteri/ or /sport/calcio/."""
    if path in HOME_PATHS:
        return True
    segments = [s for s in path.lower().split("/") if s]
    return len(segments) <= SECTION_MAX_SEGMENTS and all(
        SECTION_SEGMENT_RE.fullmatch(s) and s.count("-") <= SECTION_MAX_HYPHENS for s in segments
    )


def _headline_h1(page: _Page) -> bool:
    """True when the h1 is a headline that the <title> repeats: an article's page."""
    h1 = page.h1.casefold()
    return h1.count(" ") >= TEASER_MIN_WORDS - 1 and h1 in page.title.casefold()


def _listing(page: _Page, jsonld_types: list[str]) -> str | None:
    if page.og_type == "article":
        return None
    home = page.parts.path in HOME_PATHS
    if not home and _headline_h1(page):
        return None
    teasers = page.teasers
    count = len(teasers)
    if count < TEASER_MIN_LINKS:
        return None
    if home:
        return f"home page with {count} teaser links"
    headlines = {t.casefold() for t in teasers.values()}
    lines = [line for line in page.text.split("\n") if line]
    hits = sum(1 for line in lines if line.casefold() in headlines)
    if hits >= TEASER_LINES_MIN and hits >= TEASER_LINES_SHARE * len(lines):
        return f"text made of teaser headlines ({hits}/{len(lines)} lines)"
    if _prose_like(page.text):
        return None
    if kinds := sorted(LISTING_TYPES.intersection(jsonld_types)):
        return f"{count} teaser links and JSON-LD {', '.join(kinds)}"
    if _section_like(page.parts.path):
        return f"section page with {count} teaser links"
    return None


def classify(
    *,
    status: int,
    headers: Mapping[str, str] | None,
    tree: HtmlElement,
    jsonld: dict[str, Any] | None,
    jsonld_types: list[str],
    text: str | None,
    title: str | None,
    url: str,
) -> Verdict:
    """Decide what a fetched page is, from its status, headers, parsed tree and extracted text."""
    page = _Page(tree, text, title, url)
    has_article_ld = jsonld is not None or bool(ARTICLE_TYPES.intersection(jsonld_types))
    if reason := _bot_challenge(page, headers):
        return Verdict(BOT_CHALLENGE, reason)
    if status >= 400:
        return Verdict(ERROR, f"HTTP {status}")
    if reason := _consent_wall(page):
        return Verdict(CONSENT_WALL, reason)
    if reason := _soft_404(page, has_article_ld):
        return Verdict(SOFT_404, reason)
    if reason := _empty(page):
        return Verdict(EMPTY, reason)
    if verdict := _paywall(page, jsonld):
        return verdict
    if not has_article_ld and (reason := _listing(page, jsonld_types)):
        return Verdict(LISTING, reason)
    if not page.text:
        return Verdict(EMPTY, "no article text found")
    return Verdict(ARTICLE, "article text" if has_article_ld else "text without article JSON-LD")
