"""The documentation stands alone: a clone holds everything its markdown points at. No file names
a folder beside the repository, a specification kept elsewhere or a path of one machine; the
README stays a front page; and every relative link of the README and the guide reaches a file of
the repository, and a heading of it when it names one (read as a renderer reads markdown: a link
in a code block is no link)."""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[2]
README_MOST_LINES = 260
# What a reader of a clone cannot follow: the shared folder beside the lead's checkout, the
# specification kept there, and paths of the machine the docs were written on.
OUTSIDE_THE_REPOSITORY = ("../shared", "SPEC.md", "/work/", "/root/")
GUIDE = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_IMG_SRC = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    page: Path
    line: int
    target: str


def tracked_markdown() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "--", "*.md"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): the files that are there
        return sorted(p for p in ROOT.rglob("*.md") if not _tooling(p.relative_to(ROOT)))
    return sorted(ROOT / name for name in listed.stdout.decode().split("\0") if name)


def _tooling(path: Path) -> bool:
    return any(part.startswith(".") or part in {"build", "node_modules"} for part in path.parts)


@cache
def _tokens(page: Path) -> list[Token]:
    return MarkdownIt("commonmark", {"html": True}).enable("table").parse(page.read_text())


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def links_of(page: Path) -> list[Link]:
    """Links, images and html <img> sources, as a renderer finds them (not inside code)."""
    links = []
    for token in _tokens(page):
        if token.type == "html_block":
            links += [Link(page, _line(token), src) for src in _IMG_SRC.findall(token.content)]
        for child in token.children or []:
            if child.type == "link_open":
                links.append(Link(page, _line(token), str(child.attrGet("href"))))
            elif child.type == "image":
                links.append(Link(page, _line(token), str(child.attrGet("src"))))
            elif child.type == "html_inline":
                links += [Link(page, _line(token), src) for src in _IMG_SRC.findall(child.content)]
    return links


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors_of(page: Path) -> frozenset[str]:
    tokens = _tokens(page)
    anchors: set[str] = set()
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
        slug, repeat = github_slug(text), 0
        while slug in anchors:  # GitHub numbers repeated headings: name, name-1, name-2
            repeat += 1
            slug = f"{github_slug(text)}-{repeat}"
        anchors.add(slug)
    return frozenset(anchors)


def broken(link: Link, root: Path = ROOT) -> str | None:
    """Why a relative link does not reach what it names; None when it does, or is a web address."""
    parts = urlsplit(link.target)
    if parts.scheme or parts.netloc:
        return None
    target = (link.page.parent / unquote(parts.path)).resolve() if parts.path else link.page
    if not target.is_relative_to(root):
        return "points outside the repository"
    if not target.exists():
        return "no such file"
    if parts.fragment and target.suffix == ".md" and parts.fragment not in anchors_of(target):
        return f"no heading #{parts.fragment} in {target.relative_to(root)}"
    return None


def test_no_markdown_file_points_outside_the_repository() -> None:
    # Given every markdown file the repository tracks
    pages = tracked_markdown()
    assert ROOT / "README.md" in pages

    # When each line is searched for what a clone does not have
    found = [
        f"{page.relative_to(ROOT)}:{number}: {needle!r} in {line.strip()[:120]!r}"
        for page in pages
        for number, line in enumerate(page.read_text().splitlines(), start=1)
        for needle in OUTSIDE_THE_REPOSITORY
        if needle in line
    ]

    # Then none names one
    assert not found, "\n".join(found)


def test_the_readme_stays_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()

    assert len(lines) <= README_MOST_LINES, f"README.md has {len(lines)} lines: move detail into docs/"


@pytest.mark.parametrize("page", GUIDE, ids=[str(page.relative_to(ROOT)) for page in GUIDE])
def test_every_relative_link_reaches_a_file_and_a_heading(page: Path) -> None:
    # Given the links of a page of the guide
    links = links_of(page)

    # When each relative one is followed
    failures = [f"{page.name}:{link.line}: {link.target} ({why})" for link in links if (why := broken(link))]

    # Then it reaches a file of the repository, and the heading it names
    assert not failures, "\n".join(failures)


def test_the_link_checker_reads_links_as_a_renderer_does(tmp_path: Path) -> None:
    # Given a repository with a guide page and an image, and a page linking into it in every way,
    # with a "link" inside a code block and a repeated heading
    (tmp_path / "docs" / "images").mkdir(parents=True)
    (tmp_path / "docs" / "images" / "shot.png").write_bytes(b"png")
    heading = "## Moving the `clock`, at once\n\n"
    (tmp_path / "docs" / "guide.md").write_text(f"# The guide\n\n{heading}{heading}")
    page = tmp_path / "README.md"
    page.write_text(
        "# A page\n\n[up](#a-page) [guide](docs/guide.md#moving-the-clock-at-once-1) [gone](docs/guide.md#nowhere)\n"
        "![shot](docs/images/shot.png) [away](../elsewhere.md) [web](https://example.com/x.md)\n\n"
        "<p><img src='docs/images/missing.png'></p>\n\n```text\n[not a link](missing.md)\n```\n"
    )

    # When its links are read and followed
    found = {link.target: broken(link, tmp_path) for link in links_of(page)}

    # Then the code block holds no link, the headings have GitHub's anchors, and exactly the
    # missing heading, the missing image and the link out of the repository are broken
    assert found == {
        "#a-page": None,
        "docs/guide.md#moving-the-clock-at-once-1": None,
        "docs/guide.md#nowhere": "no heading #nowhere in docs/guide.md",
        "docs/images/shot.png": None,
        "../elsewhere.md": "points outside the repository",
        "https://example.com/x.md": None,
        "docs/images/missing.png": "no such file",
    }
