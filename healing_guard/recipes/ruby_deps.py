"""A missing Ruby gem: append ``gem "name"`` to the Gemfile (outside every group), keeping the
rest of the file as it is. A gem the Gemfile already lists, Bundler itself, the project's own gem
(a ``*.gemspec`` of that name, ``lib/<name>.rb``), or a name on no known list is advice."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Diagnosis
from . import known
from .base import FileChange, FixSettings, Proposal, Repository, newline_terminated, text_param

_GEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_LISTED = re.compile(r"""^\s*gem\s*\(?\s*["']([^"']+)["']""", re.MULTILINE)
#: ``require`` paths whose gem has another name.
REQUIRE_TO_GEM = {"active_support": "activesupport", "active_record": "activerecord", "rack/test": "rack-test"}


def gem_name(diagnosis: Diagnosis) -> str | None:
    """The gem the diagnosis names (from Bundler's message, or a ``require`` path)."""
    package = text_param(diagnosis, "package")
    if package:
        return package if _GEM.match(package) else None
    module = text_param(diagnosis, "module")
    if not module:
        return None
    name = REQUIRE_TO_GEM.get(module) or REQUIRE_TO_GEM.get(module.split("/")[0]) or module.split("/")[0]
    return name if _GEM.match(name) else None


@dataclass(frozen=True)
class RubyGem:
    id: str = "ruby-gem"
    summary: str = 'append `gem "name"` to the Gemfile'

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        name = gem_name(diagnosis)
        if diagnosis.category != "dependency_missing" or name is None:
            return f"{self.id} needs a missing gem, and {diagnosis.strategy} names none"
        if name == "bundler":
            return "the Bundler version Gemfile.lock names is missing: install it (`gem install bundler -v …`)"
        if name not in known.gems() and name not in settings.gems:
            return (
                f"{name!r} is not a well-known gem, so no pull request adds it; if it is a dependency, add "
                "it to the Gemfile, or name it under fixes.gems in the config"
            )
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        name = gem_name(diagnosis) or ""
        top = repo.listdir("") or []
        if f"{name}.gemspec" in top or (repo.listdir("lib") or []).count(f"{name}.rb"):
            return f"{name} is the repository's own gem: not a dependency missing"
        found = repo.read("Gemfile")
        if found is None:
            return "the repository has no Gemfile at the top level to add the gem to"
        text, sha = found
        if name in _LISTED.findall(text):
            return (
                f"{name} is already in the Gemfile: run `bundle install` before this step (or use "
                "ruby/setup-ruby with `bundler-cache: true`)"
            )
        quote = "'" if text.count("gem '") > text.count('gem "') else '"'
        new = f"{newline_terminated(text)}gem {quote}{name}{quote}\n"
        return FileChange(
            "Gemfile",
            new,
            sha,
            f"add the {name} gem to the Gemfile",
            risk=(
                f"{name} is added without a version constraint and outside any group. Gemfile.lock is not "
                "updated by this change: run `bundle install` on this branch and commit it (a frozen or "
                "deployment install refuses a Gemfile that its lock file does not match)."
            ),
            verify="Run `bundle install` on this branch, commit Gemfile.lock, and run the failing step again.",
        )
