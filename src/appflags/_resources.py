"""Files that live at the top of the repository and ship inside the wheel.

``schemas/`` and ``examples/flags.json`` have one copy, in the repository. A wheel carries
them inside the package (``force-include`` in pyproject.toml); an editable install or a
source checkout reads the repository's copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# pathlib (with fnmatch, and urllib.parse behind it: ~3 ms) loads when a file is first
# read, here and in every module `import appflags` loads, not with the import itself.


def read_text(packaged: str, repository: str) -> str:
    """The text of ``appflags/<packaged>`` in a wheel, else of ``<repo>/<repository>``."""
    from pathlib import Path  # noqa: PLC0415 - see above

    package = Path(__file__).resolve().parent
    on_disk = package.joinpath(*packaged.split("/"))
    if on_disk.is_file():  # an installed wheel: the package is a directory
        return on_disk.read_text(encoding="utf-8")
    if not package.is_dir():  # imported from a zip archive: only importlib can read it
        return _from_importlib(packaged, package.parents[1] / repository)
    return (package.parents[1] / repository).read_text(encoding="utf-8")


def _from_importlib(packaged: str, repository: Path) -> str:
    # importlib.resources imports tempfile, shutil and zipfile: a cold start reading the
    # project's schemas from an installed package never needs them.
    from importlib import resources  # noqa: PLC0415

    resource = resources.files("appflags")
    for part in packaged.split("/"):
        resource = resource.joinpath(part)
    if resource.is_file():
        return resource.read_text(encoding="utf-8")
    return repository.read_text(encoding="utf-8")
