"""`newsarchive show`: the reading room's article page as terminal text. Pure formatting."""

from __future__ import annotations

import textwrap
from typing import Any

from newsarchive.serve.textdiff import diff_lines, paragraph_diff, paragraphs

WIDTH = 88


def version_diffs(article: dict[str, Any]) -> list[dict[str, Any]]:
    """Between consecutive versions: their numbers and the text diff as +/-/~ lines."""
    versions = article["versions"]
    result = []
    for prev, v in zip(versions, versions[1:], strict=False):
        lines = diff_lines(paragraph_diff(prev["text"], v["text"]), trim=True)
        result.append({"from": prev["version"], "to": v["version"], "lines": lines})
    return result


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def render(article: dict[str, Any]) -> list[str]:
    """The article as text lines: header, dates, text, evidence, links both ways, versions."""
    out: list[str] = []
    out += _wrap(article["title"] or "(no title)")
    who = [article["sitename"] or article["site"], article["site"]]
    if article["authors"]:
        who.append("by " + ", ".join(article["authors"]))
    if article["language"]:
        who.append(article["language"])
    out.append(" · ".join(who))
    for field in ("published", "modified"):
        value, raw = article[f"date_{field}"], article[f"date_{field}_raw"]
        if value or field == "published":
            out.append(
                f"{field}: {value or 'unknown'}" + (f'  (the page says "{raw}")' if raw else "")
            )
    page = article["page"] or {}
    out.append(
        f"outcome: {page.get('outcome') or '?'}  (page #{page.get('id')}, fetched "
        f"{page.get('fetched_at')}, HTTP {page.get('status')})"
    )
    out.append(article["url"])
    out.append("")
    texts = paragraphs(article["text"])
    description = (article["description"] or "").strip()
    if description and (not texts or texts[0] != description):
        out += _wrap(description)
        out.append("")
    for paragraph in texts:
        out += _wrap(paragraph)
        out.append("")
    out.append("dates, which source said what (* = chosen):")
    for e in article["evidence"]:
        mark = "*" if e["chosen"] else " "
        out.append(
            f"  {mark} {e['field']:9} {e['source']:26} {e['value']}  ({e['precision']})"
            f'  "{e["raw"]}"'
        )
    out.append(f"related articles it lists ({len(article['links_out'])}):")
    for link in article["links_out"]:
        name = link["to_title"] or link["anchor_text"] or link["to_url"]
        state = "" if link["archived"] else "  (not archived)"
        out.append(f"  {link['position']}. {name}{state}")
        out.append(
            f"     listed {link['listed_date'] or '-'}"
            + (f' ("{link["listed_date_raw"]}")' if link["listed_date_raw"] else "")
            + f"  {link['article_url'] or link['to_url']}"
        )
    out.append(f"articles that list it ({len(article['links_in'])}):")
    for link in article["links_in"]:
        out.append(f"  {link['from_title'] or link['from_url']}")
        out.append(
            f"     listed {link['listed_date'] or '-'}"
            + (f' ("{link["listed_date_raw"]}")' if link["listed_date_raw"] else "")
            + f"  {link['from_url']}"
        )
    out.append(f"versions ({len(article['versions'])}):")
    for v in article["versions"]:
        what = ", ".join(v["changed_fields"]) or "first"
        out.append(
            f"  version {v['version']}  fetched {v['fetched_at']}  page #{v['page_id']}  ({what})"
        )
    for diff in version_diffs(article):
        out.append(f"  text, version {diff['from']} -> {diff['to']}:")
        for line in diff["lines"]:
            out += _wrap(line, "    ")
    return out
