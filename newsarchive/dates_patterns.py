"""Reference-independent reading of Italian date strings: vocabulary, tokenizer, grammar.

`read(text)` turns a string into a `Reading` (what the string says: fields, offsets, durations)
without looking at any reference time; `newsarchive.dates` resolves it against the reference.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

logger = logging.getLogger(__name__)

MONTHS: dict[str, int] = {
    "gennaio": 1, "gen": 1, "genn": 1, "febbraio": 2, "feb": 2, "febb": 2, "marzo": 3,
    "aprile": 4, "apr": 4, "maggio": 5, "mag": 5, "giugno": 6, "giu": 6, "luglio": 7, "lug": 7,
    "agosto": 8, "ago": 8, "settembre": 9, "set": 9, "sett": 9, "ottobre": 10, "ott": 10,
    "novembre": 11, "nov": 11, "dicembre": 12, "dic": 12,
}  # fmt: skip
WEEKDAYS: dict[str, int] = {
    "lunedi": 0, "lun": 0, "martedi": 1, "mercoledi": 2, "mer": 2, "giovedi": 3, "gio": 3,
    "venerdi": 4, "ven": 4, "sabato": 5, "sab": 5, "domenica": 6, "dom": 6,
}  # fmt: skip
AMBIGUOUS_MAR = "mar"  # marzo (month) or martedi (weekday)
ORDINALS: dict[str, int] = {
    "primo": 1, "prima": 1, "secondo": 2, "seconda": 2, "terzo": 3, "terza": 3,
    "quarto": 4, "quarta": 4, "quinto": 5, "quinta": 5, "ultimo": -1, "ultima": -1,
}  # fmt: skip
RELATIVE_DAYS: dict[str, int] = {
    "oggi": 0, "stamattina": 0, "stamani": 0, "stamane": 0, "stasera": 0, "stanotte": 0,
    "giornata": 0, "ieri": -1, "altroieri": -2,
}  # fmt: skip
DAYPARTS: dict[str, str] = {
    "mattina": "am", "mattino": "am", "stamattina": "am", "stamani": "am", "stamane": "am",
    "pomeriggio": "pm", "sera": "pm", "stasera": "pm", "notte": "night", "stanotte": "night",
}  # fmt: skip
HOUR_MARKERS = frozenset({"ore", "alle", "h", "le", "verso", "circa"})
GLUE = frozenset({
    "il", "lo", "la", "l", "i", "del", "dello", "della", "dell", "dei", "di", "d", "alla", "all",
    "al", "ai", "a", "ad", "in", "nel", "nella", "nell", "e", "ed", "pubblicato", "pubblicata",
    "pubblicazione", "aggiornato", "aggiornata", "aggiornamento", "modificato", "modificata",
    "modifica", "data", "creato", "inserito", "postato", "scritto", "giorno", "per",
}) | HOUR_MARKERS  # fmt: skip
PAST_MODIFIERS = frozenset({"scorso", "scorsa", "passato", "passata", "precedente"})
THIS_MODIFIERS = frozenset({"questo", "questa", "quest"})
PERIOD_NOUNS = frozenset({"giorno", "settimana", "mese", "trimestre", "anno"})
FUTURE_WORDS = frozenset({
    "domani", "dopodomani", "prossimo", "prossima", "prossimi", "prossime", "seguente",
    "dopo", "tra", "fra", "entro",
})  # fmt: skip
TZ_WORDS: dict[str, int] = {"gmt": 0, "utc": 0, "z": 0}
# Italian sites print "CET" all year for their local time: read as Europe/Rome on that day
# ("21 luglio 2024 10:30 CET" is +02:00), not as a literal +01:00.
ZONE_WORDS: dict[str, str] = {"cet": "Europe/Rome", "cest": "Europe/Rome"}
AGO_UNITS: dict[str, int] = {  # index into Reading.ago: y, mo, w, d, h, mi, s
    "anno": 0, "anni": 0, "mese": 1, "mesi": 1, "settimana": 2, "settimane": 2, "giorno": 3,
    "giorni": 3, "gg": 3, "ora": 4, "ore": 4, "h": 4, "minuto": 5, "minuti": 5, "min": 5,
    "secondo": 6, "secondi": 6, "sec": 6,
}  # fmt: skip
AGO_ENDINGS = frozenset({"fa", "orsono", "addietro"})
FEW_WORDS = frozenset({"pochi", "poche", "qualche", "alcuni", "alcune"})
FEW = 3
APPROXIMATIONS = frozenset({"circa", "ben", "oltre", "quasi", "almeno"})
LAST_HOUR_RE = re.compile(r"(?:l|nell) ?' ?ultima ora")  # "nell'ultima ora"; not the label
NOW_RE = re.compile(
    r"(?:proprio |appena )?(?:adesso|ora|ora ora|poco fa|un attimo fa|immediatamente|"
    r"in questo (?:momento|istante)|pochi (?:istanti|secondi|attimi) fa)"
)
PREFIX_RE = re.compile(
    r"^(?:(?:ultim[oa] (?:modifica|aggiornamento)|(?:pubblicat|aggiornat|modificat|creat|"
    r"inserit|postat|scritt)[oa]|modifica|aggiornamento|pubblicazione|data|in data)"
    r"(?![a-z])[\s:,.\-]*)+"
)
ORDINAL_MARK_RE = re.compile(r"(?<=\d)\s*[°ºª]")
AMPM_RE = re.compile(r"(?<=\d)\s*([ap])\.?\s?m\b\.?")
SEPARATORS_RE = re.compile(r"[|·•–—();]|\s-\s")
TOKEN_RE = re.compile(
    r"(?P<ymd>(?P<ymd_y>\d{4})(?P<s0>[-/.])(?P<ymd_m>\d{1,2})(?P=s0)(?P<ymd_d>\d{1,2})(?!\d))"
    r"|(?P<dmy>(?P<dmy_d>\d{1,2})(?P<s1>[-/.])(?P<dmy_m>\d{1,2})(?P=s1)"
    r"(?P<dmy_y>\d{4}|\d{2})(?![\d:]))"
    r"|(?P<time>(?P<time_h>\d{1,2}):(?P<time_m>\d{2})(?::(?P<time_s>\d{2}))?(?![\d:]))"
    r"|(?P<dm>(?P<dm_d>\d{1,2})/(?P<dm_m>\d{1,2})(?![\d/]))"
    r"|(?P<dot>(?P<dot_h>\d{1,2})\.(?P<dot_m>\d{2})(?![\d.]))"
    r"|(?P<ordnum>\d{1,2}°)"
    r"|(?<![\w])(?P<tzoff>[+-]\d{2}:?\d{2})(?!\d)"
    r"|(?P<num>\d+)"
    r"|(?P<word>[a-z]+)"
    r"|(?P<sep>[,\-/.:'])"
    r"|(?P<other>\S)",
    re.ASCII,
)
TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "ymd": ("ymd_y", "ymd_m", "ymd_d"),
    "dmy": ("dmy_d", "dmy_m", "dmy_y"),
    "time": ("time_h", "time_m", "time_s"),
    "dm": ("dm_d", "dm_m"),
    "dot": ("dot_h", "dot_m"),
}
UNITS_WORDS: dict[str, int] = {
    "uno": 1, "un": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
    "sette": 7, "otto": 8, "nove": 9,
}  # fmt: skip
TEENS_WORDS: dict[str, int] = {
    "dieci": 10, "undici": 11, "dodici": 12, "tredici": 13, "quattordici": 14, "quindici": 15,
    "sedici": 16, "diciassette": 17, "diciotto": 18, "diciannove": 19,
}  # fmt: skip
TENS_WORDS: dict[str, int] = {
    "venti": 20, "trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60,
    "settanta": 70, "ottanta": 80, "novanta": 90,
}  # fmt: skip
KNOWN_WORDS = frozenset().union(
    MONTHS,
    WEEKDAYS,
    ORDINALS,
    RELATIVE_DAYS,
    DAYPARTS,
    GLUE,
    PAST_MODIFIERS,
    THIS_MODIFIERS,
    PERIOD_NOUNS,
    FUTURE_WORDS,
    TZ_WORDS,
    ZONE_WORDS,
    {AMBIGUOUS_MAR, "am", "pm", "altro", "meno", "mezzogiorno", "mezzanotte"},
)
MAX_EDGE_WORDS = 5  # dateline before / byline after a date that may be dropped


class Token(NamedTuple):
    """One lexical unit: kind ("num", "dmy", "ymd", "dm", "time", "dot", "word", ...)."""

    kind: str
    text: str
    vals: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What a date string says, before any reference time is applied."""

    kind: str  # "date" | "ago" | "now" | "reject"
    year: int | None = None
    year_digits: int = 4
    month: int | None = None
    day: int | None = None
    swappable: bool = False  # numeric d/m that may be m/d when the month is > 12
    hour: int | None = None
    minute: int = 0
    second: int = 0
    offset_minutes: int | None = None  # explicit zone in the string
    zone: str | None = None  # a named zone in the string ("CET": Europe/Rome that day)
    weekday: int | None = None
    strictly_past: bool = False  # "martedi scorso", "lo scorso novembre": strictly before now
    ordinal: int | None = None  # nth weekday of a month, -1 = last
    day_offset: int | None = None  # oggi 0, ieri -1
    week_offset: int | None = None
    month_offset: int | None = None
    year_offset: int | None = None
    quarter_offset: int | None = None
    period: str | None = None  # "week" | "quarter" | "year": the string names a whole period
    ago: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0)  # years, months, weeks, days, h, min, s


REJECT = Reading(kind="reject")


def clean(text: str) -> str:
    """Lower-case, strip accents, unify separators and am/pm; keep digits and words."""
    t = ORDINAL_MARK_RE.sub("° ", text)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = t.replace("\u2019", "'").replace("`", "'").replace("\u00b4", "'")
    t = AMPM_RE.sub(r" \1m", t)
    t = SEPARATORS_RE.sub(" , ", t)
    return " ".join(t.split())


def words_to_int(word: str) -> int | None:
    """Italian number word ("ventuno", "millenovecentosettantotto") -> int, else None."""
    if word.startswith("mille"):
        rest = _below_1000(word[5:])
        return None if rest is None else 1000 + rest
    i = word.find("mila")
    if i > 0:
        thousands, rest = _below_1000(word[:i]), _below_1000(word[i + 4 :])
        if thousands is None or thousands < 2 or rest is None:
            return None
        return thousands * 1000 + rest
    return _below_1000(word) if word else None


def _below_1000(s: str) -> int | None:
    i = s.find("cent")
    if i < 0:
        return _below_100(s)
    head = 1 if i == 0 else UNITS_WORDS.get(s[:i])
    rest = s[i + 4 :]
    tail = _below_100(rest[1:]) if rest.startswith("o") else None
    if tail is None:
        tail = _below_100(rest)
    if head is None or tail is None or (i and head < 2):
        return None
    return head * 100 + tail


def _below_100(s: str) -> int | None:
    if not s:
        return 0
    if s in UNITS_WORDS:
        return UNITS_WORDS[s]
    if s in TEENS_WORDS:
        return TEENS_WORDS[s]
    for word, value in TENS_WORDS.items():
        if s.startswith(word):
            rest = s[len(word) :]
        elif s.startswith(word[:-1]) and s[len(word) - 1 :] in ("uno", "otto"):
            rest = s[len(word) - 1 :]
        else:
            continue
        unit = UNITS_WORDS.get(rest, 0 if not rest else None)
        return None if unit is None else value + unit
    return None


def tokenize(cleaned: str) -> list[Token]:
    """Split a cleaned string into tokens (numeric dates and times stay whole)."""
    out: list[Token] = []
    for m in TOKEN_RE.finditer(cleaned):
        kind = m.lastgroup or "other"
        if kind in TOKEN_FIELDS:
            g = m.groupdict()
            vals = tuple(int(g[n]) if g[n] else 0 for n in TOKEN_FIELDS[kind])
            if kind == "dmy":
                vals += (len(g["dmy_y"]),)
            out.append(Token(kind, m.group(), vals))
        elif kind in ("num", "ordnum"):
            digits = m.group().rstrip("°")
            out.append(Token(kind, digits, (int(digits[:9]), len(digits))))
        elif kind == "tzoff":
            s = m.group().replace(":", "")
            sign = -1 if s[0] == "-" else 1
            out.append(Token(kind, s, (sign * (int(s[1:3]) * 60 + int(s[3:5])),)))
        else:
            out.append(Token(kind, m.group()))
    return out


def is_known_word(word: str) -> bool:
    """True when the grammar has a meaning for this word."""
    return word in KNOWN_WORDS or words_to_int(word) is not None


def read(text: str) -> Reading | None:
    """Read a raw string: a Reading, REJECT (surely not a date), or None (not understood)."""
    cleaned = PREFIX_RE.sub("", clean(text))
    if not cleaned:
        return None
    if NOW_RE.fullmatch(cleaned):
        return Reading(kind="now")
    if LAST_HOUR_RE.fullmatch(cleaned):
        return Reading(kind="ago", ago=(0, 0, 0, 0, 1, 0, 0))
    toks = tokenize(cleaned)
    sig = [t for t in toks if t.kind != "sep"]
    ago = _read_ago(sig)
    if ago is not None:
        return ago
    result = _Grammar(sig).run()
    if result is not None:
        return result
    edges = _trim_edges(toks)
    if edges is None:
        return None
    trimmed, byline = edges
    result = _Grammar([t for t in trimmed if t.kind != "sep"]).run()
    if result is None or result.kind != "date":
        return result
    if result.month is None or result.day is None or (byline and result.year is None):
        return REJECT  # after dropping words, only a real day (a full date after a byline)
    return result


def _trim_edges(toks: list[Token]) -> tuple[list[Token], bool] | None:
    """Drop a leading dateline ("Roma,") and a trailing byline ("| Redazione", "di M. Rossi").

    Returns (tokens, byline_dropped) or None when there is nothing to drop. A dropped part
    holds only words, at least one of them unknown to the grammar, the others glue words.
    """
    start, end = 0, len(toks)
    for i, t in enumerate(toks[: MAX_EDGE_WORDS + 2]):
        if t.kind == "sep" and t.text in ",-" and i > 0:
            if _droppable(toks[:i]):
                start = i + 1
            break
        if t.kind != "word" and not (t.kind == "sep" and t.text in ".'"):
            break
    for i in range(len(toks) - 1, max(start, len(toks) - MAX_EDGE_WORDS - 2), -1):
        t = toks[i]
        is_cut = (t.kind == "sep" and t.text in ",-") or (
            t.kind == "word" and t.text in ("di", "da")
        )
        if is_cut and _droppable(toks[i + 1 :]):
            end = i
        elif t.kind not in ("word", "sep"):
            break
    if start == 0 and end == len(toks):
        return None
    return toks[start:end], end < len(toks)


def _droppable(part: list[Token]) -> bool:
    words = [t for t in part if t.kind != "sep"]
    if not words or any(t.kind != "word" for t in words):
        return False
    unknown = [t for t in words if not is_known_word(t.text)]
    return bool(unknown) and all(t in unknown or t.text in GLUE for t in words)


def _number(tok: Token) -> tuple[int, int] | None:
    """(value, digits) of a number token or number word (digits 0 for words)."""
    if tok.kind in ("num", "ordnum"):
        return tok.vals[0], tok.vals[1]
    if tok.kind == "word" and tok.text not in ("un", "una", "uno"):
        value = words_to_int(tok.text)
        if value is not None:
            return value, 0
    return None


def _read_ago(sig: list[Token]) -> Reading | None:
    """ "3 ore fa", "1 anno, 2 mesi e 3 giorni fa", "un'ora fa"; without "fa" only if compound."""
    comps = [0] * 7
    count, i, n, ended = 0, 0, len(sig), False
    while i < n and sig[i].text in APPROXIMATIONS:
        i += 1
    while i < n:
        t = sig[i]
        if t.kind == "word" and t.text in AGO_ENDINGS and i == n - 1:
            ended = True
            break
        if t.kind == "word" and t.text == "or" and i == n - 2 and sig[i + 1].text == "sono":
            ended = True
            break
        if t.kind == "word" and t.text == "e" and count:
            i += 1
            continue
        qty: int | None = None
        if t.kind == "word" and t.text in ("un", "uno", "una"):
            qty = 1
            if i + 2 < n and sig[i + 1].text == "paio" and sig[i + 2].text in ("di", "d"):
                qty, i = 2, i + 2
        elif t.kind == "word" and t.text in FEW_WORDS:
            qty = FEW
        elif t.kind == "word" and t.text in ("mezz", "mezza", "mezzo"):
            if i + 1 < n and sig[i + 1].text in ("ora", "ore"):
                comps[5] += 30
                count, i = count + 1, i + 2
                continue
            if count and sig[i - 1].text == "e" and sig[i - 2].text in ("ora", "ore"):
                comps[5] += 30  # "un'ora e mezza fa"
                i += 1
                continue
            return None
        else:
            num = _number(t)
            if num is not None and num[1] <= 4:
                qty = num[0]
        quarter = [x.text for x in sig[i + 1 : i + 4]]
        if qty is not None and quarter[:1] in (["quarto"], ["quarti"]):
            if quarter[1:] not in (["d", "ora"], ["di", "ora"]):
                return None
            comps[5] += 15 * qty  # "un quarto d'ora fa", "tre quarti d'ora fa"
            count, i = count + 1, i + 4
            continue
        if qty is None or i + 1 >= n or sig[i + 1].kind != "word":
            return None
        unit = AGO_UNITS.get(sig[i + 1].text)
        if unit is None:
            return None
        comps[unit] += qty
        count, i = count + 1, i + 2
    if count == 0 or (not ended and count < 2):
        return None
    return Reading(kind="ago", ago=tuple(comps))


@dataclass
class _Grammar:
    """Slot-filling reader over significant tokens; run() -> Reading | REJECT | None."""

    sig: list[Token]
    year: int | None = None
    year_digits: int = 4
    month: int | None = None
    day: int | None = None
    swappable: bool = False
    hour: int | None = None
    minute: int | None = None
    second: int = 0
    ampm: str | None = None
    offset: int | None = None
    zone: str | None = None
    weekday: int | None = None
    ordinal: int | None = None
    day_offset: int | None = None
    want_hour: bool = False
    daypart: bool = False
    nouns: list[str] = field(default_factory=list)
    past: int = 0
    this: int = 0
    future: bool = False

    def run(self) -> Reading | None:
        i = 0
        while i < len(self.sig):
            step = self._step(i)
            if step is None:
                return None
            i += step
        return self._finish()

    def _peek(self, i: int) -> Token | None:
        return self.sig[i] if i < len(self.sig) else None

    def _set(self, name: str, value: int) -> bool:
        if getattr(self, name) is not None:
            return False
        setattr(self, name, value)
        return True

    def _step(self, i: int) -> int | None:  # noqa: C901 - one dispatch table
        t, nxt = self.sig[i], self._peek(i + 1)
        k = t.kind
        if k == "time":
            if not (self._set("hour", t.vals[0]) and self._set("minute", t.vals[1])):
                return None
            self.second, self.want_hour = t.vals[2], False
            return 1
        if k == "dot":  # "3.15" is a time
            if self.hour is not None:
                return None
            self.hour, self.minute, self.want_hour = t.vals[0], t.vals[1], False
            return 1
        if k in ("dmy", "ymd", "dm"):
            if self.day is not None or self.month is not None or self.year is not None:
                return None
            if k == "ymd":
                self.year, self.month, self.day = t.vals
            else:
                self.day, self.month = t.vals[0], t.vals[1]
                self.swappable = True
                if k == "dmy":
                    self.year, self.year_digits = t.vals[2], t.vals[3]
            return 1
        if k == "tzoff":
            return 1 if self.hour is not None and self._set("offset", t.vals[0]) else None
        if k == "word":
            return self._word(i, t.text, nxt)
        if k in ("num", "ordnum"):
            return self._num(i, t, nxt)
        return None

    def _num(self, i: int, t: Token, nxt: Token | None) -> int | None:
        num = _number(t)
        if num is None:
            return None
        value, digits = num
        if self.want_hour or (nxt is not None and nxt.text in ("am", "pm")):
            self.want_hour = False
            if digits > 2 or not self._set("hour", value):
                return None
            return 1
        if self.hour is not None and self.minute is None and digits != 4 and value < 60:
            prev = self.sig[i - 1] if i else None
            after_hour = prev is not None and prev.kind == "num" and self.day is None
            if after_hour and (nxt is None or nxt.text not in MONTHS and nxt.text != "mar"):
                prev = Token("word", "e")  # "alle 3 20": minutes right after the hour
            if prev is not None and prev.text == "e":
                self.minute = value
                return 1
        if digits == 4 or (digits == 0 and value >= 1000):
            return 1 if self._set("year", value) else None
        if digits > 2 or not 0 < value <= 31:
            if digits == 2 and self.day and self.month and self.year is None:
                self.year, self.year_digits = value, 2
                return 1
            return None
        after = self._peek(i + 2)
        if (
            self.hour is None
            and nxt is not None
            and nxt.text in ("del", "di")
            and after is not None
            and after.kind == "num"
        ):
            self.hour = value
            return 1
        if self.hour is None and self._daypart_follows(i):
            self.hour = value  # "8 di sera", "10, stanotte"
            return 1
        if t.kind == "ordnum" and nxt is not None and nxt.text in WEEKDAYS:
            return 1 if self._set("ordinal", value) else None
        if self.day is None:
            self.day = value
            return 1
        if digits == 2 and self.day and self.month and self.year is None:
            self.year, self.year_digits = value, 2
            return 1
        return None

    def _word(self, i: int, w: str, nxt: Token | None) -> int | None:  # noqa: C901
        if w in MONTHS:
            return 1 if self._set("month", MONTHS[w]) else None
        if w == AMBIGUOUS_MAR:
            return self._mar(i)
        if w in WEEKDAYS:
            return 1 if self._set("weekday", WEEKDAYS[w]) else None
        if w in ("un", "una") and nxt is not None and nxt.text == "quarto":
            return self._add_minutes(15)
        if w in ("mezza", "mezzo") and i and self.sig[i - 1].text == "e":
            return self._add_minutes(30, width=1)
        if w == "meno" and self.hour is not None and nxt is not None:
            after = self._peek(i + 2)
            if nxt.text in ("un", "una") and after is not None and after.text == "quarto":
                return self._add_minutes(-15, width=3)
            num = _number(nxt)
            return self._add_minutes(-num[0]) if num and num[0] < 60 else None
        if w in ORDINALS and nxt is not None and (nxt.text in WEEKDAYS or nxt.text == "mar"):
            self.ordinal = ORDINALS[w]
            if nxt.text == "mar":  # "primo mar..." before a weekday slot: always martedi
                self.weekday = 1
                return 2
            return 1
        if w in ("primo", "prima") and nxt is not None:
            after = self._peek(i + 2)
            if nxt.text in MONTHS or (
                nxt.text in ("di", "del") and after is not None and after.text in MONTHS
            ):
                return 1 if self._set("day", 1) else None
        if w in ("mezzogiorno", "mezzanotte"):
            if not self._set("hour", 12 if w == "mezzogiorno" else 0):
                return None
            self.minute = 0
            return 1
        if w == "altro" and nxt is not None and nxt.text == "ieri":
            return 2 if self._set("day_offset", -2) else None
        if w in RELATIVE_DAYS:
            if not self._set("day_offset", RELATIVE_DAYS[w]):
                return None
            if w in DAYPARTS:
                self.ampm = self.ampm or DAYPARTS[w]
            return 1
        if w in DAYPARTS:
            self.ampm, self.daypart = self.ampm or DAYPARTS[w], True
            return 1
        if w in ("am", "pm"):
            if self.hour is None:
                return None
            self.ampm = w
            return 1
        if w in TZ_WORDS:
            return 1 if self.hour is not None and self._set("offset", TZ_WORDS[w]) else None
        if w in ZONE_WORDS:
            if self.hour is None or self.offset is not None or self.zone is not None:
                return None
            self.zone = ZONE_WORDS[w]
            return 1
        if w in PERIOD_NOUNS:
            self.nouns.append(w)
            return 1
        if w in PAST_MODIFIERS:
            self.past += 1
            return 1
        if w in THIS_MODIFIERS:
            self.this += 1
            return 1
        if w in FUTURE_WORDS:
            self.future = True
            return 1
        if w in GLUE:
            if w in HOUR_MARKERS and nxt is not None:
                self.want_hour = nxt.kind in ("num", "dot", "time") or _number(nxt) is not None
            return 1
        num = _number(Token("word", w))
        return self._num(i, Token("word", w), nxt) if num is not None else None

    def _daypart_follows(self, i: int) -> bool:
        words = [t.text for t in self.sig[i + 1 : i + 3]]
        if words[:1] and words[0] in DAYPARTS:
            return True
        return (
            len(words) == 2
            and words[0] in ("di", "del", "della", "questa")
            and (words[1] in DAYPARTS)
        )

    def _mar(self, i: int) -> int | None:
        prev = self.sig[i - 1] if i else None
        later = self.sig[i + 1 :]
        if self.month is None and self.day is not None and prev is not None and prev.kind == "num":
            self.month = 3
        elif any(t.text in MONTHS for t in later):
            return 1 if self._set("weekday", 1) else None
        elif self.month is None and any(t.kind == "num" and t.vals[1] == 4 for t in later):
            self.month = 3
        else:
            return 1 if self._set("weekday", 1) else None
        return 1

    def _add_minutes(self, delta: int, width: int = 2) -> int | None:
        if self.hour is None:
            return None
        total = self.hour * 60 + (self.minute or 0) + delta
        if not 0 <= total < 24 * 60:
            return None
        self.hour, self.minute = divmod(total, 60)
        return width

    def _period(self, noun: str, modifier: int) -> Reading | None:
        """A whole week, quarter or year named relative to now ("il trimestre scorso")."""
        slots = (self.year, self.month, self.day, self.weekday, self.hour, self.day_offset)
        if any(v is not None for v in slots) or self.ordinal is not None:
            return None
        if noun == "settimana":
            return Reading(kind="date", week_offset=modifier, period="week")
        if noun == "trimestre":
            return Reading(kind="date", quarter_offset=modifier, period="quarter")
        return Reading(kind="date", year_offset=modifier, period="year")

    def _finish(self) -> Reading | None:  # noqa: C901 - validation of slot combinations
        if self.future:
            return REJECT
        week_offset = month_offset = year_offset = None
        strictly_past = past_month = False
        modifier = -1 if self.past else 0
        if self.past + self.this > 1:
            return None
        nouns = [n for n in self.nouns if n != "giorno" or self.past or self.this]
        if len(nouns) > 1:
            return None
        if nouns:
            noun = nouns[0]
            if noun == "giorno":
                if not self._set("day_offset", modifier):
                    return None
            elif noun in ("settimana", "trimestre") or (noun == "anno" and self.month is None):
                if not (self.past or self.this):
                    return REJECT
                if noun != "settimana" or self.weekday is None:
                    return self._period(noun, modifier)  # "la settimana scorsa", "quest'anno"
                week_offset = modifier
            elif noun == "mese":
                if self.past or self.this:
                    month_offset = modifier
                elif self.month is None:
                    return None
            elif noun == "anno":
                if not (self.past or self.this):
                    return REJECT
                year_offset = modifier
        elif self.past:
            if self.weekday is not None and self.month is None:
                strictly_past = True
            elif self.month is None or self.year is not None:
                return None
            else:
                past_month = True  # "lo scorso (3) novembre": the last one before today
        elif self.this:
            dated = self.year is not None or self.month is not None or self.day is not None
            if self.weekday is not None and not dated:
                week_offset = 0  # "questo lunedi": this week's
            elif self.daypart and not dated and self.day_offset is None:
                self.day_offset = 0  # "questa mattina"
            else:
                return None
        if self.ordinal == -1 and month_offset is None and self.month is None:
            strictly_past, self.ordinal = True, None
        hour = self.hour
        if hour is not None:
            if self.ampm in ("pm", "night") and hour < 12:
                if self.ampm == "pm" or hour >= 6:
                    hour += 12
            elif self.ampm == "am" and hour == 12:
                hour = 0
            if hour > 23 or (self.minute or 0) > 59 or self.second > 59:
                return REJECT
        has_date = self.year is not None or self.month is not None or self.day is not None
        if self.day_offset is not None and self.ordinal is not None:
            return None
        if self.day_offset is not None and has_date:
            self.day_offset = None  # "ieri, 20 novembre": trust the explicit date
        if self.ordinal is not None and (self.weekday is None or self.day is not None):
            return None
        month_only = self.month is not None and self.day is None and self.ordinal is None
        if month_only and (self.weekday is not None or hour is not None):
            return None
        if self.year is not None and self.month is None:
            if self.day is not None or self.weekday is not None or hour is not None:
                return REJECT
            return Reading(kind="date", year=self.year, period="year")  # "2024", "nel 2024"
        located = has_date or self.weekday is not None or self.day_offset is not None
        if not located and hour is None and month_offset is None:
            return None  # nothing that locates a day
        return Reading(
            kind="date",
            year=self.year,
            year_digits=self.year_digits,
            month=self.month,
            day=self.day,
            swappable=self.swappable,
            hour=hour,
            minute=self.minute or 0,
            second=self.second,
            offset_minutes=self.offset,
            zone=self.zone,
            weekday=self.weekday,
            strictly_past=strictly_past or past_month,
            ordinal=self.ordinal,
            day_offset=self.day_offset,
            week_offset=week_offset,
            month_offset=month_offset,
            year_offset=year_offset,
        )
