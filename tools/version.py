"""The project's version, kept in one place, and the checks that everything else agrees with it.

The one place is ``__version__`` in ``healing_guard/__init__.py``: hatch reads it for the package
metadata (``[tool.hatch.version]`` in pyproject.toml) and ``healing-guard --version`` prints it.
Two copies cannot read it and are checked instead:

* ``CHANGELOG.md`` (Keep a Changelog): the newest released section, ``## [X.Y.Z] - YYYY-MM-DD``;
* ``Dockerfile``: ``ARG VERSION=X.Y.Z``, the default of the image's ``org.opencontainers.image.version``.

Usage::

    python tools/version.py                  # print the version
    python tools/version.py --check          # exit 1 and say which copy differs
    python tools/version.py --tag v1.2.3     # also require the release tag to be v<version>;
                                             # prints version=, major= (v1) and
                                             # prerelease= (true for X.Y.Z-rc.1) for $GITHUB_OUTPUT

The release workflow runs the ``--tag`` form before building, so a tag that does not match the
code it points at builds nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Semantic Versioning 2.0.0 (the regular expression semver.org gives, without build metadata).
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
PACKAGE_VERSION = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)
DOCKERFILE_VERSION = re.compile(r"^ARG VERSION=(\S*)$", re.MULTILINE)
CHANGELOG_HEADING = re.compile(r"^## \[([^\]]+)\](.*)$", re.MULTILINE)
RELEASED_SUFFIX = re.compile(r"^ - \d{4}-\d{2}-\d{2}$")


class VersionError(Exception):
    """A file that should carry the version does not, or carries it malformed."""


def package_version(root: Path) -> str:
    text = (root / "healing_guard" / "__init__.py").read_text(encoding="utf-8")
    found = PACKAGE_VERSION.findall(text)
    if len(found) != 1:
        raise VersionError('healing_guard/__init__.py must hold exactly one line __version__ = "X.Y.Z"')
    return str(found[0])


def dockerfile_version(root: Path) -> str:
    found = DOCKERFILE_VERSION.findall((root / "Dockerfile").read_text(encoding="utf-8"))
    if len(found) != 1:
        raise VersionError("Dockerfile must hold exactly one line ARG VERSION=X.Y.Z")
    return str(found[0])


def changelog_released(root: Path) -> list[str]:
    """The released versions of CHANGELOG.md, newest first (sections other than [Unreleased]).

    A released section's heading is ``## [X.Y.Z] - YYYY-MM-DD``; anything else is an error, so a
    typo cannot hide a release from the check.
    """
    versions = []
    for name, rest in CHANGELOG_HEADING.findall((root / "CHANGELOG.md").read_text(encoding="utf-8")):
        if name == "Unreleased":
            continue
        if not SEMVER.fullmatch(name) or not RELEASED_SUFFIX.fullmatch(rest):
            raise VersionError(f"CHANGELOG.md: heading '## [{name}]{rest}' is not '## [X.Y.Z] - YYYY-MM-DD'")
        versions.append(name)
    return versions


def problems(root: Path, tag: str | None = None) -> list[str]:
    """Everything that disagrees with the package version (empty: all agree)."""
    try:
        version = package_version(root)
        found = []
        if not SEMVER.fullmatch(version):
            found.append(f"package version {version!r} is not a semantic version (X.Y.Z)")
        released = changelog_released(root)
        if not released:
            found.append("CHANGELOG.md has no released section '## [X.Y.Z] - YYYY-MM-DD'")
        elif released[0] != version:
            found.append(f"CHANGELOG.md's newest release is {released[0]}, the package is {version}")
        if len(set(released)) != len(released):
            found.append("CHANGELOG.md lists a version twice")
        label = dockerfile_version(root)
        if label != version:
            found.append(f"Dockerfile's ARG VERSION={label}, the package is {version}")
        if tag is not None and tag != f"v{version}":
            found.append(f"the release tag is {tag!r}, the code it points at is version {version} (tag v{version})")
    except (OSError, VersionError) as exc:
        return [str(exc)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print or check the project's version.")
    parser.add_argument("--check", action="store_true", help="check that CHANGELOG.md and the Dockerfile agree")
    parser.add_argument("--tag", help="a release tag that must be v<version> (implies --check)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check or args.tag is not None:
        found = problems(args.root, args.tag)
        for problem in found:
            print(f"version mismatch: {problem}", file=sys.stderr)
        if found:
            return 1
    version = package_version(args.root)
    if args.tag is not None:
        print(f"version={version}")
        print(f"major=v{version.split('.')[0]}")
        print(f"prerelease={'true' if '-' in version else 'false'}")
    else:
        print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
