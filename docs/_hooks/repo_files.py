"""mkdocs hook: publish the repository files that the docs link to.

Pages link to ``../examples/flask_app.py`` or ``../schemas/flagd.schema.json`` so that the
links work where the Markdown is read in the repository. For the site, the files under
:data:`PUBLISHED` are copied in at the same paths and such links are rewritten to point at
the copies. A link to a file that does not exist is left as it is, so
``mkdocs build --strict`` still reports it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.structure.files import File, Files

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

PUBLISHED = {"examples": (".py", ".json"), "schemas": (".json",)}
"""Repository folders published with the site, and the kinds of file taken from each."""

_LINK = re.compile(r"\]\((\.\./[^)\s#]+)(#[^)\s]*)?\)")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the published repository files to the site as static files."""
    root = Path(config.config_file_path).parent
    for folder, suffixes in PUBLISHED.items():
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                uri = path.relative_to(root).as_posix()
                files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_page_markdown(
    markdown: str,
    page: Page,
    config: MkDocsConfig,  # noqa: ARG001 - mkdocs passes every argument by name
    files: Files,
) -> str:
    """Point links that leave the docs folder at the published copies."""
    here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(here, match[1]))
        if not target.startswith("../"):
            return match[0]
        published = target[len("../") :]
        if files.get_file_from_path(published) is None:
            return match[0]
        return f"]({posixpath.relpath(published, here or '.')}{match[2] or ''})"

    return _LINK.sub(rewrite, markdown)
