"""The reading room: a Datasette plugin that `newsarchive serve` loads.

Routes (all read-only, all SQL in newsarchive.store.archive):

    /-/article?url=URL    an article as a page: text, dates with their evidence, related links
                          both ways, versions with a paragraph diff, the archived HTML
    /-/search?q=QUERY     search that reads like search: relevance order, snippets, facets
    /-/archived/ID        the raw page as fetched, sandboxed (also on a second port, see below)

The archived HTML is served with `Content-Security-Policy: sandbox; default-src 'none'; ...`:
no script runs, the page gets an opaque origin, no form is sent, nothing is framed. When
`newsarchive serve` sets `archive_port` in the plugin configuration, the same pages are served
by a small second server on that port, so that they never share an origin with the UI.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl as datasette_hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from newsarchive.serve.archived import archived_response, start_archive_server
from newsarchive.serve.charts import fill_days, svg_bars
from newsarchive.serve.textdiff import paragraph_diff, paragraphs, trim_same
from newsarchive.store.archive import Archive
from newsarchive.store.fts import SYNTAX_HELP, SearchSyntaxError, fts_query
from newsarchive.warc.export import export_capture

logger = logging.getLogger(__name__)

PLUGIN = "newsarchive"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
PAGE_SIZE = 20
CHART_DAYS = 60
# snippet match markers: control characters no article text contains, replaced after escaping
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
# views and tables whose title column becomes a link to the article page: title -> url column
TITLE_LINKS = {
    "articles": {"title": "url"},
    "latest_articles": {"title": "url"},
    "articles_without_date": {"title": "url"},
    "article_edits": {"title": "article_url"},
    "related_graph": {"from_title": "from_url", "to_title": "to_url"},
}

# the articles table, whose ?_search= takes the search syntax of newsarchive.store.fts
ARTICLES_TABLE_RE = re.compile(r"^/[^/]+/articles(\.json|\.csv)?$")

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
hookimpl: Callable[[F], F] = datasette_hookimpl  # typed: pluggy's marker returns the function

# the second server, when running: {"port": int}
_archive_server: dict[str, Any] = {}


def archive_path(datasette: Any) -> tuple[str, Path]:
    """(database name, file) of the archive Datasette serves: the first file database."""
    for name, database in datasette.databases.items():
        if getattr(database, "path", None) and not getattr(database, "is_memory", False):
            return str(name), Path(database.path)
    raise NotFound("no archive database")


async def read(datasette: Any, fn: Callable[[Archive], T]) -> T:
    """Run fn over a read-only Archive in a worker thread."""
    _, path = archive_path(datasette)

    def run() -> T:
        with Archive(path, readonly=True) as archive:
            return fn(archive)

    return await asyncio.to_thread(run)


def article_href(url: str) -> str:
    """The reading-room page of an article URL."""
    return "/-/article?" + urlencode({"url": url})


def highlight(snippet: str | None) -> Markup:
    """An FTS snippet with its match markers as <mark>, everything else escaped."""
    text = str(escape(snippet or ""))
    return Markup(text.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


def archived_href(request: Any, page_id: int) -> str:
    """Where the archived page is served: the second server if it runs, else /-/archived/."""
    port = _archive_server.get("port")
    if not port:
        return f"/-/archived/{page_id}"
    host = request.host or "127.0.0.1"
    if not host.endswith("]") and ":" in host:
        host = host.rsplit(":", 1)[0]
    return f"{request.scheme}://{host}:{port}/page/{page_id}"


@hookimpl
def startup(datasette: Any) -> None:
    """Start the second server of archived pages when the configuration asks for it."""
    config = datasette.plugin_config(PLUGIN) or {}
    port = config.get("archive_port")
    if port is None or _archive_server.get("port"):
        return
    _, path = archive_path(datasette)
    started = start_archive_server(path, str(config.get("archive_host", "127.0.0.1")), int(port))
    if started:
        _archive_server["port"] = started


async def article_page(datasette: Any, request: Any) -> Response:
    """The article page: /-/article?url=URL."""
    wanted = request.args.get("url") or ""

    def load(archive: Archive) -> dict[str, Any] | None:
        url = archive.read.article_url_for(wanted)
        return archive.read.article_view(url) if url else None

    article = await read(datasette, load)
    if article is None:
        raise NotFound(f"no archived article {wanted}")
    db_name, _ = archive_path(datasette)
    versions = article["versions"]
    diffs = [
        {
            "version": v,
            "previous": prev,
            "changes": paragraph_diff(prev["text"], v["text"])
            if "text" in v["changed_fields"]
            else [],
        }
        for prev, v in zip(versions, versions[1:], strict=False)
    ]
    page = article["page"] or {}
    context = {
        "article": article,
        "paragraphs": paragraphs(article["text"]),
        "diffs": diffs,
        "archived_href": archived_href(request, page["id"]) if page else None,
        "row_href": datasette.urls.table(db_name, "articles") + "/" + tilde_encode(article["url"]),
        "article_href": article_href,
        "trim_same": trim_same,
        "database": db_name,
    }
    html = await datasette.render_template(
        "newsarchive_article.html", context, request=request, view_name="newsarchive_article"
    )
    return Response.html(html)


async def search_page(datasette: Any, request: Any) -> Response:
    """The search page: /-/search?q=QUERY[&site=][&since=][&until=][&page=N]."""
    query = (request.args.get("q") or "").strip()
    site = request.args.get("site") or None
    since = request.args.get("since") or None
    until = request.args.get("until") or None
    try:
        page_no = max(int(request.args.get("page") or 1), 1)
    except ValueError:
        page_no = 1
    hits: list[dict[str, Any]] = []
    facets: dict[str, Any] = {"total": 0, "sites": [], "days": []}
    error = None
    status = 200
    if query:

        def load(archive: Archive) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            found = archive.search.articles(
                query,
                site=site,
                since=since,
                until=until,
                limit=PAGE_SIZE,
                offset=(page_no - 1) * PAGE_SIZE,
                marks=(MARK_OPEN, MARK_CLOSE),
            )
            return found, archive.search.facets(query, site=site, since=since, until=until)

        try:
            hits, facets = await read(datasette, load)
        except SearchSyntaxError as exc:
            error, status = str(exc), 400
    for hit in hits:
        hit["snippet_html"] = highlight(hit["snippet"])
        hit["href"] = article_href(hit["url"])
    params = {k: v for k, v in {"q": query, "site": site, "since": since, "until": until}.items()}

    def with_(**changes: str | None) -> str:
        merged = {**params, **changes}
        return "/-/search?" + urlencode({k: v for k, v in merged.items() if v})

    context = {
        "query": query,
        "site": site,
        "since": since,
        "until": until,
        "hits": hits,
        "facets": facets,
        "error": error,
        "syntax_help": SYNTAX_HELP,
        "page_no": page_no,
        "next_href": with_(page=str(page_no + 1))
        if facets["total"] > page_no * PAGE_SIZE
        else None,
        "prev_href": with_(page=str(page_no - 1)) if page_no > 1 else None,
        "with_": with_,
    }
    html = await datasette.render_template(
        "newsarchive_search.html", context, request=request, view_name="newsarchive_search"
    )
    return Response.html(html, status=status)


async def archived_page(datasette: Any, request: Any) -> Response:
    """A stored page as fetched, sandboxed: /-/archived/ID."""
    _, path = archive_path(datasette)
    page_id = int(request.url_vars["page_id"])
    status, headers, body = await asyncio.to_thread(archived_response, path, page_id)
    content_type = headers.pop("Content-Type")
    return Response(body, status=status, headers=headers, content_type=content_type)


async def warc_download(datasette: Any, request: Any) -> Response:
    """One stored fetch as a self-contained WARC file: /-/warc/ID (a download, never rendered)."""
    page_id = int(request.url_vars["page_id"])

    def build(archive: Archive) -> bytes | None:
        buffer = io.BytesIO()
        return buffer.getvalue() if export_capture(archive, page_id, buffer) else None

    body = await read(datasette, build)
    if body is None:
        raise NotFound(f"no stored page {page_id}")
    return Response(
        body,
        content_type="application/warc",
        headers={
            "Content-Disposition": f'attachment; filename="newsarchive-page-{page_id}.warc.gz"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    """The reading room's pages."""
    return [
        (r"^/-/article$", article_page),
        (r"^/-/search$", search_page),
        (r"^/-/archived/(?P<page_id>[0-9]+)$", archived_page),
        (r"^/-/warc/(?P<page_id>[0-9]+)$", warc_download),
    ]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None) -> Markup | None:
    """Article titles in tables and views link to the article page."""
    url_column = TITLE_LINKS.get(table or "", {}).get(column)
    if url_column is None or not value:
        return None
    try:
        url = row[url_column]
    except (KeyError, IndexError):
        return None
    if not url:
        return None
    return Markup('<a class="newsarchive-read" href="{}">{}</a>').format(article_href(url), value)


@hookimpl
def extra_template_vars(view_name: str, datasette: Any) -> Any:
    """The home page's chart of articles per day and top sites."""
    if view_name != "index":
        return {}

    async def home_vars() -> dict[str, Any]:
        def load(
            archive: Archive,
        ) -> tuple[list[tuple[str, int]], list[tuple[str, int, str | None]]]:
            return archive.read.articles_per_day(days=CHART_DAYS), archive.read.top_sites()

        try:
            db_name, _ = archive_path(datasette)
            days, sites = await read(datasette, load)
        except (NotFound, sqlite3.Error):  # not an archive: the plain Datasette home
            return {}
        return {
            "newsarchive_db": db_name,
            "newsarchive_chart": Markup(svg_bars(fill_days(days, days=CHART_DAYS)))
            if days
            else None,
            "newsarchive_top_sites": sites,
            "newsarchive_days": days,
        }

    return home_vars


def translate_table_search(path: str, query_string: bytes) -> tuple[bytes, str | None]:
    """The query string of an articles-table request with ?_search= in our search syntax
    turned into raw FTS5 (and _searchmode=raw), or the syntax error's message."""
    match = ARTICLES_TABLE_RE.match(path)
    if not match:
        return query_string, None
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    keys = [k for k, _ in pairs]
    if "_search" not in keys or "_searchmode" in keys:
        return query_string, None
    result = []
    for key, value in pairs:
        if key == "_search" and value.strip():
            try:
                value = fts_query(value)
            except SearchSyntaxError as exc:
                return query_string, str(exc)
        result.append((key, value))
    result.append(("_searchmode", "raw"))
    return urlencode(result).encode("latin-1"), None


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    """The articles table's ?_search= speaks the same syntax as /-/search (OR, prefix*,
    "phrases", title:word); a query that is not valid gets a 400 that says why."""

    def wrap(app: Any) -> Any:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            query_string, error = translate_table_search(
                scope.get("path", ""), scope.get("query_string", b"")
            )
            if error is None:
                await app({**scope, "query_string": query_string}, receive, send)
                return
            message = f"not a valid search: {error}. {SYNTAX_HELP}"
            if scope["path"].endswith(".json"):
                body = json.dumps({"ok": False, "error": message, "status": 400}).encode()
                content_type = b"application/json; charset=utf-8"
            else:
                body = message.encode()
                content_type = b"text/plain; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", content_type)],
                }
            )
            await send({"type": "http.response.body", "body": body})

        return wrapped

    return wrap
