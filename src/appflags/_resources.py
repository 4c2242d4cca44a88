"""Files that live at the top of the repository and ship inside the wheel.

``schemas/`` and ``examples/flags.json`` have one copy, in the repository. A wheel carries
them inside the package (``force-include`` in pyproject.toml); an editable install or a
source checkout reads the repository's copy.
"""

from __future__ import annotations

from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[2]


def read_text(packaged: str, repository: str) -> str:
    """The text of ``appflags/<packaged>`` in a wheel, else of ``<repo>/<repository>``."""
    from importlib import resources  # noqa: PLC0415 - it imports tempfile, shutil, zipfile

    resource = resources.files("appflags")
    for part in packaged.split("/"):
        resource = resource.joinpath(part)
    if resource.is_file():
        return resource.read_text(encoding="utf-8")
    return (_REPOSITORY / repository).read_text(encoding="utf-8")
