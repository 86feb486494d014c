"""The repository stands on its own: the design documents the code cites are in docs/, every
citation names a section that exists, links resolve, and nothing points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIPPED_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".json", ".txt", ".cfg", ".ini", ""}
# "docs/DECISIONS.md, Naming", "docs/DECISIONS.md (Serving)", 'docs/DECISIONS.md, "Benchmarks"'
CITATION = re.compile(r"docs/DECISIONS\.md(?:,\s*|\s+\()\"?([A-Z][a-z]+(?:\s+[a-z]+)*)")


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts) or any(part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            files.append(path)
    return files


def headings(document: Path) -> set[str]:
    return {line[3:].strip() for line in document.read_text().splitlines() if line.startswith("## ")}


def test_the_design_documents_are_in_the_repository():
    for name in ("ARCHITECTURE.md", "DECISIONS.md", "GOVERNANCE.md"):
        assert (DOCS / name).is_file(), name
    assert {"Packaging and layers", "Naming", "Serving", "Policies"} <= headings(DOCS / "DECISIONS.md")


def test_every_citation_of_the_decisions_names_one_of_its_sections():
    sections = headings(DOCS / "DECISIONS.md")
    cited: dict[str, list[str]] = {}
    for path in repository_files():
        text = path.read_text(errors="replace")
        for match in CITATION.finditer(re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)):
            cited.setdefault(match.group(1), []).append(str(path.relative_to(ROOT)))
    assert len(cited) >= 5  # components, core, policies, bench cite it
    unknown = {section: where for section, where in cited.items() if section not in sections}
    assert unknown == {}, f"citations of sections docs/DECISIONS.md does not have: {unknown}"


@pytest.mark.parametrize("document", ["README.md", "docs/ARCHITECTURE.md", "docs/DECISIONS.md", "bench/README.md"])
def test_relative_links_resolve(document: str):
    path = ROOT / document
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{document} links to {target}, which does not exist"


def test_nothing_refers_to_files_beside_the_repository():
    outside = re.compile(r"\.\./" + "shared|" + r"parents\[\d+\]\s*/\s*['\"]\.\.['\"]|ROOT\.parent\s*/")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repository_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert found == []
