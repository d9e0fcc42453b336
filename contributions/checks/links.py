"""Internal links resolve: `#anchor` to a heading (or labelled equation) of this document,
`/docs/<slug>/` and `/docs/<slug>/#anchor` (absolute, or relative to this document's
address) to a document that exists, and to one of its headings. Links to other sites and
to other pages of this site are not checked here."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from .source import Inline, Parsed
from .types import FAIL, PASS, CheckContext, CheckResult, Detail, count

NAME = "links"
TITLE = "Internal links and anchors"
_DOCUMENT_PATH = re.compile(r"^/docs/([^/]+)(/.*)?$")


def _links(inline: Inline) -> list[tuple[int, str]]:
    """(line, href) of each link, the line found by looking for the href in the source."""
    content = inline.token.content
    cursor = 0
    found = []
    for child in inline.token.children or []:
        if child.type != "link_open":
            continue
        href = str(child.attrGet("href") or "")
        at = content.find(href, cursor) if href else -1
        if at < 0:
            at = cursor
        cursor = at + len(href)
        found.append((inline.line + content.count("\n", 0, at), href))
    return found


def _problem(href: str, base: str, parsed: Parsed, context: CheckContext) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None  # another site
    anchor = unquote(parts.fragment)
    if not parts.path:
        if anchor and anchor not in parsed.element_ids:
            return f"#{anchor} is not a heading of this document."
        return None
    target = urlsplit(urljoin(base, parts.path)).path
    match = _DOCUMENT_PATH.match(target)
    if match is None:
        return None  # another page of the site (/questions/...): not a document link
    slug = unquote(match.group(1))
    if context.document_slug and slug == context.document_slug:
        anchors: set[str] | None = set(parsed.element_ids)
    elif context.anchors_of is None:
        return None  # nothing to look other documents up with (checking bare text)
    else:
        anchors = context.anchors_of(slug)
    if anchors is None:
        return f"{href}: no document “{slug}” exists that readers can open."
    if anchor and (match.group(2) in (None, "/")) and anchor not in anchors:
        return f"{href}: “{slug}” has no heading #{anchor}."
    return None


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    base = f"/docs/{context.document_slug}/" if context.document_slug else "/docs/"
    details: list[Detail] = []
    total = 0
    for inline in parsed.inlines:
        for line, href in _links(inline):
            total += 1
            message = _problem(href, base, parsed, context)
            if message:
                details.append({"line": line, "message": message})
    if details:
        return CheckResult(
            NAME, TITLE, FAIL, f"Broken: {len(details)} of {count(total, 'link')}.", details
        )
    summary = f"{count(total, 'link')} checked; all resolve." if total else "No links to check."
    return CheckResult(NAME, TITLE, PASS, summary)
