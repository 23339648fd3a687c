"""Point action.yml at a published image by digest, for a release commit.

On ``main``, ``action.yml`` says ``image: Dockerfile`` (the runner builds the image). The release
workflow pushes the image to GHCR, then runs::

    python3 tools/release_action_yml.py --repository owner/name --digest sha256:<64 hex> [action.yml]

which rewrites the ``image:`` line of the ``runs:`` block to
``docker://ghcr.io/<owner>/<repo>@sha256:<digest>`` (the repository lower-cased: GHCR names are
lower case) and leaves every other byte of the file as it is. It refuses anything but a sha256
digest (a tag such as ``:1.0.0`` can be moved to other content; a digest cannot), a repository
name GitHub would not accept, and an ``action.yml`` that is not a Docker container action with one
``image:`` line. Standard library only: the workflow runs it with the runner's ``python3``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# GitHub owner (user or organisation: letters, digits, single hyphens) / repository name.
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
RUNS = re.compile(r"^runs:[ \t]*(?:#.*)?$")
TOP_LEVEL = re.compile(r"^[^\s#]")
USING = re.compile(r"^([ \t]+)using:[ \t]*['\"]?([A-Za-z0-9]+)['\"]?[ \t]*(?:#.*)?$")
IMAGE = re.compile(r"^([ \t]+)image:[ \t]*(\S.*?)[ \t]*$")


class ReleaseError(Exception):
    """The digest, the repository or action.yml is not what a release may use."""


def image_reference(repository: str, digest: str) -> str:
    """``docker://ghcr.io/<owner>/<repo>@sha256:...`` after validating both parts."""
    if not DIGEST.fullmatch(digest):
        raise ReleaseError(f"{digest!r} is not an image digest (sha256: and 64 lower-case hex digits)")
    if not REPOSITORY.fullmatch(repository) or repository.split("/")[1] in (".", ".."):
        raise ReleaseError(f"{repository!r} is not a GitHub repository name (owner/name)")
    return f"docker://ghcr.io/{repository.lower()}@{digest}"


def rewrite(text: str, reference: str) -> str:
    """action.yml's text with the ``runs.image`` value replaced by ``reference``."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if RUNS.match(line.rstrip("\r\n"))]
    if len(starts) != 1:
        raise ReleaseError("action.yml must have exactly one top-level 'runs:' block")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if TOP_LEVEL.match(lines[i])), len(lines))
    block = range(start + 1, end)
    usings = [m for i in block if (m := USING.match(lines[i].rstrip("\r\n")))]
    if len(usings) != 1 or usings[0].group(2) != "docker":
        raise ReleaseError("action.yml's runs: block must say 'using: docker' (a Docker container action)")
    indent = usings[0].group(1)
    images = [i for i in block if (m := IMAGE.match(lines[i].rstrip("\r\n"))) and m.group(1) == indent]
    if len(images) != 1:
        raise ReleaseError("action.yml's runs: block must have exactly one 'image:' line")
    index = images[0]
    newline = lines[index][len(lines[index].rstrip("\r\n")) :] or "\n"
    lines[index] = f"{indent}image: {reference}{newline}"
    return "".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Point action.yml's runs.image at a published image digest.")
    parser.add_argument("--repository", required=True, help="owner/name of the GitHub repository (GHCR image name)")
    parser.add_argument("--digest", required=True, help="the pushed image's digest, sha256:<64 hex>")
    parser.add_argument("action_yml", nargs="?", default="action.yml", type=Path)
    args = parser.parse_args(argv)
    try:
        reference = image_reference(args.repository, args.digest)
        text = args.action_yml.read_bytes().decode("utf-8")
        args.action_yml.write_bytes(rewrite(text, reference).encode("utf-8"))
    except (OSError, ReleaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.action_yml}: image: {reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
