"""Fix recipes: the file change a fix pull request proposes for a diagnosis.

Only changes that are small, reviewable and certain are proposed. Today that is one recipe: a
missing Python module whose distribution is added to the requirements file the repository has.
Everything else is reported as advice in the comment instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .models import Diagnosis

#: Import names whose distribution on PyPI has another name.
IMPORT_TO_DISTRIBUTION: dict[str, str] = {
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "sklearn": "scikit-learn",
    "PIL": "Pillow",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "google.protobuf": "protobuf",
    "attr": "attrs",
    "magic": "python-magic",
    "serial": "pyserial",
    "usb": "pyusb",
    "gi": "PyGObject",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "skimage": "scikit-image",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
}
REQUIREMENTS_FILES = ("requirements.txt", "requirements/base.txt", "requirements-dev.txt")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class FileChange:
    path: str
    content: str
    sha: str | None
    summary: str


def distribution_for(module: str) -> str:
    for name in (module, module.split(".")[0]):
        if name in IMPORT_TO_DISTRIBUTION:
            return IMPORT_TO_DISTRIBUTION[name]
    return module.split(".")[0]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def propose(diagnosis: Diagnosis, read: Callable[[str], tuple[str, str] | None]) -> FileChange | str:
    """The change for ``diagnosis``, or the reason there is none. ``read(path)`` -> (text, sha)."""
    module = str(diagnosis.params.get("module", ""))
    if diagnosis.category != "dependency_missing" or not module:
        return f"no fix recipe for {diagnosis.strategy}"
    if "python" not in diagnosis.strategy:
        return f"no fix recipe for {diagnosis.strategy} yet (only Python requirements files are edited)"
    dist = distribution_for(module)
    if not _SAFE_NAME.match(dist):
        return f"{dist!r} does not look like a package name"
    for path in REQUIREMENTS_FILES:
        found = read(path)
        if found is None:
            continue
        text, sha = found
        listed = {
            _normalise(re.split(r"[\s<>=!~;\[#@]", line.strip(), maxsplit=1)[0])
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "-"))
        }
        if _normalise(dist) in listed:
            return f"{dist} is already in {path}: the job may install another file or environment"
        new = text if text.endswith("\n") or not text else text + "\n"
        return FileChange(path, f"{new}{dist}\n", sha, f"add {dist} to {path}")
    return "the repository has no requirements.txt to add the dependency to (pyproject.toml is not edited)"
