"""Classify a fetched page: article, listing, wall (bot, consent, paywall), soft 404, empty. Pure.

Checks run in this order, the first that fires wins: bot_challenge (any HTTP status), error
(status >= 400), consent_wall, soft_404, empty, paywall, listing, article. Conservative: each
wall/404/challenge check needs a short extracted text (< WALL_MAX_TEXT), so a cookie banner, CMP
script or "Abbonati" link never turns a real article into a wall; a long text marked
``isAccessibleForFree: false`` is an ``article`` flagged ``paywall`` (metered sites mark every
article so and serve the full text). Tree scans (visible text, anchors) run only when needed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import SplitResult, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from newsarchive.extract.schema_org import ARTICLE_TYPES

logger = logging.getLogger(__name__)

ARTICLE = "article"
LISTING = "listing"
EMPTY = "empty"
CONSENT_WALL = "consent_wall"
PAYWALL = "paywall"
BOT_CHALLENGE = "bot_challenge"
SOFT_404 = "soft_404"
ERROR = "error"
TOO_LARGE = "too_large"  # decided before parsing
NOT_HTML = "not_html"  # decided by extract_article
EXTRACTION_FAILED = "extraction_failed"  # decided by extract_page
CLASSIFIED = (ARTICLE, LISTING, EMPTY, CONSENT_WALL, PAYWALL, BOT_CHALLENGE, SOFT_404, ERROR)
OUTCOMES = (*CLASSIFIED, TOO_LARGE, NOT_HTML, EXTRACTION_FAILED)
PAYWALL_FLAG = "paywall"

# Sizes in characters of extracted text (*_VISIBLE: of visible body text, scripts excluded).
WALL_MAX_TEXT = 1500  # at or above: content; no wall, challenge or 404 check fires
PAYWALL_TEASER_MAX_TEXT = 1000  # below: isAccessibleForFree=false alone means paywall
CONSENT_MAX_TEXT, CONSENT_SINGLE_HIT_MAX_TEXT = 1000, 400  # 2 consent phrases, or 1 below 400
SOFT_404_MAX_TEXT, SOFT_404_MAX_TEXT_NO_LD = 1000, 3000  # 404 pages often list "i più letti"
EMPTY_MAX_TEXT, EMPTY_MAX_VISIBLE = 200, 300
WEAK_MARKER_MAX_VISIBLE, CONSENT_MAX_VISIBLE = 600, 2500  # a challenge page shows a few lines
VISIBLE_SCAN_CHARS = 3000  # the visible-text scan stops here: enough for the limits above
SCRIPT_SCAN_CHARS = 4000  # per inline script
TEXT_HEAD_CHARS, TEXT_TAIL_CHARS = 600, 1000
TEASER_MIN_LINKS, TEASER_SCAN_LINKS = 15, 200
TEASER_MIN_CHARS, TEASER_MAX_CHARS, TEASER_MIN_WORDS = 25, 200, 4
TEASER_LINES_MIN, TEASER_LINES_SHARE = 5, 0.3
PROSE_LINE_CHARS, PROSE_MIN_CHARS, PROSE_SHARE = 250, 1000, 0.5
SECTION_MAX_SEGMENTS, SECTION_MAX_HYPHENS = 2, 2

CF_HEADER, AWS_WAF_HEADER = "cf-mitigated", "x-amzn-waf-action"
# Substrings of script/iframe srcs and inline code found only on interstitials (normal pages
# of protected sites load other scripts: /cdn-cgi/challenge-platform/.../jsd, tags.js...).
STRONG_BOT_MARKERS = {
    "cloudflare challenge": ("_cf_chl_opt", "cf_chl_", "orchestrate/chl_page", "orchestrate/jsch"),
    "aws waf captcha": ("awsWafCookieDomainList", "gokuProps", "captcha.awswaf.com"),
    "datadome captcha": ("captcha-delivery.com",),
    "perimeterx captcha": ("_pxCaptcha", "px-captcha", "captcha.px-cdn.net"),
}
# Also on normal pages (jsd script, comment-form captchas): they count only on near-empty pages.
WEAK_BOT_MARKERS = {
    "cloudflare challenge": ("/cdn-cgi/challenge-platform/", "challenges.cloudflare.com"),
    "aws waf challenge": ("AwsWafIntegration", "awswaf.com"),
    "captcha": ("hcaptcha.com", "recaptcha/api", "recaptcha/enterprise"),
}
# Whole lines only: "Un momento storico" or "Accesso negato ai migranti" stay articles.
BOT_TITLE_RE = re.compile(
    r"(?im)^\s*(?:just a moment|solo un momento|un attimo|attention required!? \| cloudflare"
    r"|checking your browser|one more step|access denied|accesso negato|accesso bloccato"
    r"|request blocked|pardon our interruption|ddos-guard|robot check|human verification"
    r"|verifica umana|are you a robot|sei un robot)[\s.!?…]*$"
)
BOT_TEXT_RE = re.compile(
    r"(?i)checking (?:if the site connection is secure|your browser)|verify(?:ing)? you are human"
    r"|enable javascript and cookies to continue|verifica (?:di essere|che tu sia) (?:un )?umano"
    r"|sorry, you have been blocked|you don't have permission to access|press (?:&|and) hold"
    r"|access to this page has been denied|please enable js and disable any ad blocker"
)
CONSENT_HOST_RE = re.compile(r"(?i)^(?:consent|guce)[.-]")
CONSENT_TEXT_RE = re.compile(
    r"(?i)(?:utilizza|usa|utilizziamo|usiamo|impieghiamo) (?:i |dei )?cookie|accett\w* "
    r"(?:tutti )?(?:i )?cookie|accetta e (?:continua|chiudi)|consenso (?:ai|all'uso dei) cookie"
    r"|cookie (?:tecnici|di profilazione|analitici)|(?:gestisci|personalizza) (?:le )?"
    r"(?:preferenze|scelte)|(?:memorizzare|archiviare) e/o accedere a informazioni"
    r"|(?:this site|website|we) uses? cookies|accept (?:all )?cookies|before you continue"
)
PAY_OR_OK_RE = re.compile(
    r"(?is)accett\w* (?:i )?cookie.{0,80}abbona|abbona\w*.{0,80}accett\w* (?:i )?cookie"
    r"|rifiuta e abbonati|paga o accetta|pay or (?:okay|ok|accept)"
)
CMP_RE = re.compile(
    r"(?i)iubenda|didomi|quantcast|onetrust|optanon|cookielaw\.org|consensu\.org|cookiebot"
    r"|usercentrics|trustarc|consentmanager|sourcepoint|__tcfapi|/cmp[/.]|\bcmp\."
)
NOT_FOUND_TITLE_RE = re.compile(
    r"(?im)pagina non trovata|pagina (?:non disponibile|inesistente)|page not found|\bnot found\b"
    r"|(?:error|errore|erreur|fehler)\s*404|404\s*(?:error|errore)|^\s*404\b"
    r"|seite nicht gefunden|page introuvable|p[aá]gina no encontrada|contenuto non trovato"
)
NOT_FOUND_TEXT_RE = re.compile(
    r"(?i)la pagina (?:che (?:cercavi|stai cercando|hai cercato|hai richiesto)|richiesta) (?:non"
    r"|è stata)|pagina non trovata|questa pagina non esiste|page not found|the page you (?:are "
    r"|were )?(?:looking for|requested) (?:could not be found|does not exist|was not found)"
)
PAYWALL_HINTS = ("abbonat", "riservat", "continuare a leggere", "subscribe", "subscribers")
PAYWALL_TEXT_RE = re.compile(
    r"(?i)(?:contenuto|articolo) riservato agli abbonati|riservat[oa] agli abbonati"
    r"|per continuare a leggere|abbonati per (?:leggere|continuare)|sei già abbonato\?"
    r"|questo (?:contenuto|articolo) è riservato|leggi l'articolo completo abbonandoti"
    r"|subscribe to (?:continue|keep) reading|this (?:content|article) is for subscribers only"
)
FREE_FALSE_RE = re.compile(r'(?i)"isAccessibleForFree"\s*:\s*(?:false|"false"|"no")')
FREE_FALSE_VALUES = (False, "false", "False", "no")
SHELL_XPATH = etree.XPath(
    "//body//div[@id='root' or @id='app' or @id='__next' or @id='__nuxt' or @id='___gatsby'"
    " or @id='svelte'][not(*)][not(normalize-space())]"
)
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
LISTING_TYPES = {"collectionpage", "itemlist", "sitenavigationelement", "searchresultspage"}
HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.php", "/home", "/home/", "/it/"}
ARTICLE_HREF_RE = re.compile(
    r"(?i)\d{5,}|/(?:19|20)\d{2}/\d{1,2}/|[a-z0-9]+(?:[-_][a-z0-9]+){3,}|\.s?html?$"
)
SECTION_SEGMENT_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Verdict:
    """What a page is, why, and extra flags (e.g. ``paywall`` on a full paywalled article)."""

    outcome: str
    reason: str
    flags: tuple[str, ...] = ()


def _norm(value: str) -> str:
    return " ".join(value.split())


def _site_root(host: str) -> str:
    return ".".join(host.lower().split(".")[-2:])


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return urlsplit("")


def _first_marker(blob: str, markers: Mapping[str, tuple[str, ...]]) -> str | None:
    return next((why for why, needles in markers.items() if any(n in blob for n in needles)), None)


class _Page:
    """Lazy views of one page, each computed at most once (most pages need few of them)."""

    def __init__(self, tree: HtmlElement, text: str | None, title: str | None, url: str) -> None:
        self.tree, self.text, self.parts = tree, text or "", _split(url)
        self.given_title = _norm(title or "")

    @cached_property
    def title(self) -> str:
        """The page's <title> and the given title, one per line."""
        el = self.tree.find(".//title")
        return f"{_norm(el.text_content()) if el is not None else ''}\n{self.given_title}"

    @cached_property
    def h1(self) -> str:
        """The first h1's text."""
        el = self.tree.find(".//h1")
        return _norm(el.text_content())[:300] if el is not None else ""

    @cached_property
    def code(self) -> str:
        """Script/iframe srcs and the head of each inline script (short-text pages only)."""
        code: list[str] = []
        for el in self.tree.iter("script", "iframe"):
            if src := el.get("src"):
                code.append(src)
            if el.tag == "script" and el.text and "ld+json" not in (el.get("type") or ""):
                code.append(el.text[:SCRIPT_SCAN_CHARS])
        return "\n".join(code)

    @cached_property
    def ld_meta(self) -> tuple[str, str]:
        """(JSON-LD blocks naming isAccessibleForFree, og:type); other scripts are not read."""
        free, og_type = [], ""
        for el in self.tree.iter("script", "meta"):
            if el.tag == "meta" and (el.get("property") or el.get("name")) == "og:type":
                og_type = og_type or (el.get("content") or "").strip().lower()
            elif "ld+json" in (el.get("type") or "") and "isAccessibleFor" in (el.text or ""):
                free.append(el.text)
        return "\n".join(free), og_type

    @cached_property
    def visible(self) -> str:
        """Visible body text (no script/style/noscript), collapsed, up to VISIBLE_SCAN_CHARS."""
        body = self.tree.find("body")
        chunks: list[str] = []
        size = 0
        for el in body.iter() if body is not None else ():
            shown = isinstance(el.tag, str) and el.tag not in HIDDEN_TAGS
            for piece in (el.text if shown else None, el.tail if el is not body else None):
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
            anchor = _norm(a.text_content()) if href and href[0] != "#" else ""
            if not TEASER_MIN_CHARS <= len(anchor) <= TEASER_MAX_CHARS:
                continue
            link = _split(href)
            if anchor.count(" ") < TEASER_MIN_WORDS - 1 or link.path == self.parts.path:
                continue
            if link.hostname and _site_root(link.hostname) != root:
                continue
            if link.scheme in ("", "http", "https") and ARTICLE_HREF_RE.search(link.path):
                found.setdefault(link.path, anchor)
                if len(found) >= TEASER_SCAN_LINKS:
                    break
        return found


def _bot_challenge(page: _Page, headers: Mapping[str, str] | None) -> str | None:
    sent = {k.lower(): str(v).strip().lower() for k, v in (headers or {}).items()}
    if "challenge" in sent.get(CF_HEADER, ""):
        return "cloudflare challenge (cf-mitigated header)"
    if (waf := sent.get(AWS_WAF_HEADER, "")) in ("captcha", "challenge"):
        return f"aws waf {waf} ({AWS_WAF_HEADER} header)"
    if len(page.text) >= WALL_MAX_TEXT:
        return None
    if reason := _first_marker(page.code, STRONG_BOT_MARKERS):
        return reason
    if BOT_TITLE_RE.search(page.title) or BOT_TITLE_RE.search(page.h1):
        return "challenge or access-denied title"
    if len(page.visible) >= WEAK_MARKER_MAX_VISIBLE:
        return None
    if reason := _first_marker(page.code, WEAK_BOT_MARKERS):
        return f"{reason} with little visible text"
    if BOT_TEXT_RE.search(page.visible) or BOT_TEXT_RE.search(page.text):
        return "challenge text"
    return None


def _consent_wall(page: _Page) -> str | None:
    if CONSENT_HOST_RE.match(page.parts.hostname or ""):
        return "consent host"
    if len(page.text) >= CONSENT_MAX_TEXT:
        return None
    shown = f"{page.title}\n{page.h1}\n{page.text}"
    if PAY_OR_OK_RE.search(shown):
        return "pay-or-accept cookie wall"
    hits = {m.group(0).lower() for m in CONSENT_TEXT_RE.finditer(shown)}
    if len(hits) >= 2 or (hits and len(page.text) < CONSENT_SINGLE_HIT_MAX_TEXT):
        return "consent text as main content"
    if len(page.text) >= EMPTY_MAX_TEXT or len(page.visible) >= CONSENT_MAX_VISIBLE:
        return None
    if PAY_OR_OK_RE.search(page.visible):
        return "pay-or-accept cookie wall"
    if CONSENT_TEXT_RE.search(page.visible) and (cmp := CMP_RE.search(page.code)):
        return f"consent interstitial ({cmp.group(0).lower()})"
    return None


def _soft_404(page: _Page, has_article_ld: bool) -> str | None:
    limit = SOFT_404_MAX_TEXT if has_article_ld else SOFT_404_MAX_TEXT_NO_LD
    if len(page.text) < limit and NOT_FOUND_TITLE_RE.search(f"{page.title}\n{page.h1}"):
        return "not-found title"
    head = page.text[:TEXT_HEAD_CHARS] or page.visible[:TEXT_HEAD_CHARS]
    if len(page.text) < SOFT_404_MAX_TEXT and NOT_FOUND_TEXT_RE.search(head):
        return "not-found text"
    return None


def _empty(page: _Page) -> str | None:
    if len(page.text) >= EMPTY_MAX_TEXT or len(page.visible) >= EMPTY_MAX_VISIBLE:
        return None
    if SHELL_XPATH(page.tree):
        return "javascript shell (empty root element)"
    if any("javascript" in el.text_content()[:500].lower() for el in page.tree.iter("noscript")):
        return "javascript shell (noscript notice)"
    return None if page.text else "no text and no visible text"


def _free_false(jsonld: dict[str, Any] | None, page: _Page) -> str | None:
    ld = jsonld or {}
    if ld.get("isAccessibleForFree") in FREE_FALSE_VALUES:
        return "JSON-LD isAccessibleForFree=false"
    parts = ld.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and part.get("isAccessibleForFree") in FREE_FALSE_VALUES:
            return f"JSON-LD hasPart isAccessibleForFree=false ({part.get('cssSelector')})"
    return "JSON-LD isAccessibleForFree=false" if FREE_FALSE_RE.search(page.ld_meta[0]) else None


def _paywall_elements(tree: HtmlElement) -> Iterator[HtmlElement]:
    """The elements marked as a paywall, in document order: what "//@class[contains(.,'paywall')
    or contains(.,'Paywall') or contains(.,'regwall')]/.. | //@id[contains(.,'paywall')]/.."
    selects, lazily (the caller stops at the first) and at 2/3 of that XPath's cost."""
    for el in tree.getroottree().getroot().iter(etree.Element):
        cls, ident = el.get("class") or "", el.get("id") or ""
        if "paywall" in cls or "Paywall" in cls or "regwall" in cls or "paywall" in ident:
            yield el


def _paywall(page: _Page, jsonld: dict[str, Any] | None) -> Verdict | None:
    size, text = len(page.text), page.text
    if size > TEXT_HEAD_CHARS + TEXT_TAIL_CHARS:
        text = f"{text[:TEXT_HEAD_CHARS]}\n{text[-TEXT_TAIL_CHARS:]}"
    hinted = any(hint in text.lower() for hint in PAYWALL_HINTS)
    phrase = PAYWALL_TEXT_RE.search(text) if hinted else None
    if phrase is None and size < WALL_MAX_TEXT:
        for el in _paywall_elements(page.tree):
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


def _listing(page: _Page, jsonld_types: list[str]) -> str | None:
    if page.ld_meta[1] == "article":
        return None
    home, h1 = page.parts.path in HOME_PATHS, page.h1.casefold()
    if not home and h1.count(" ") >= TEASER_MIN_WORDS - 1 and h1 in page.title.casefold():
        return None  # a headline h1 that the <title> repeats: an article's page
    if (count := len(page.teasers)) < TEASER_MIN_LINKS:
        return None
    if home:
        return f"home page with {count} teaser links"
    headlines = {t.casefold() for t in page.teasers.values()}
    lines = [line for line in page.text.split("\n") if line]
    hits = sum(1 for line in lines if line.casefold() in headlines)
    if hits >= TEASER_LINES_MIN and hits >= TEASER_LINES_SHARE * len(lines):
        return f"text made of teaser headlines ({hits}/{len(lines)} lines)"
    prose = sum(len(line) for line in lines if len(line) >= PROSE_LINE_CHARS)
    if prose >= PROSE_MIN_CHARS and prose >= PROSE_SHARE * len(page.text):
        return None  # mostly long paragraphs: an article with a big teaser box
    if kinds := sorted(LISTING_TYPES.intersection(jsonld_types)):
        return f"{count} teaser links and JSON-LD {', '.join(kinds)}"
    segments = [s for s in page.parts.path.lower().split("/") if s]
    if len(segments) <= SECTION_MAX_SEGMENTS and all(
        SECTION_SEGMENT_RE.fullmatch(s) and s.count("-") <= SECTION_MAX_HYPHENS for s in segments
    ):
        return f"section page with {count} teaser links"  # /esteri/, /sport/calcio/
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
    if paywall := _paywall(page, jsonld):
        return paywall
    if not has_article_ld and (reason := _listing(page, jsonld_types)):
        return Verdict(LISTING, reason)
    if not page.text:
        return Verdict(EMPTY, "no article text found")
    return Verdict(ARTICLE, "article JSON-LD and text" if has_article_ld else "text")
