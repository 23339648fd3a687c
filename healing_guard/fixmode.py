"""The two steps of the repository's fix workflow (``examples/workflows/heal-fix.yml``), started
by the guard with ``workflow_dispatch`` (inputs: recipe, sha, signature, run-id, argument).

``mode: fix-command``
    In the job that runs the toolchain (``contents: read``, no secrets): the command of the
    dispatched recipe, if the config's ``fixes.allowed_commands`` allows it, is written to
    ``$GITHUB_ENV`` as ``HEAL_FIX_COMMAND`` (and ``HEAL_FIX_TOOLCHAIN``); anything else fails the step,
    so nothing runs.
``mode: fix`` with ``patch-path``
    In the job that may write: the diff that command made is checked (paths, the recipe's own
    files, never ``.github/workflows/``), applied strictly to the files at the failing commit read
    through the API, and proposed as the one fix pull request of that failure signature and branch.
    The failing run is read again: it must be of this repository (not a fork), at that commit,
    on a branch that is not protected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from actions_toolkit.file_command import prepare_key_value_message

from .catalogue import load_catalogue
from .config import GuardConfig, load_config
from .errors import HealingGuardError
from .fixpr import APP_TOKEN_HOWTO, FixProposal, is_fix_branch, open_fix
from .github_api import GitHubClient
from .markers import issue_marker
from .planner import from_fork
from .provider import RunInfo
from .recipes.patch import MAX_PATCH_BYTES, PatchError, apply
from .recipes.toolchain import GoGet, ToolchainRecipe, command_line, toolchain_recipe
from .render import jinja_env
from .sanitize import Redactor, clean, truncate
from .settings import read_input

FIX_MODES = ("fix-command", "fix")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_SIGNATURE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
MAX_BODY = 60000


class FixModeError(HealingGuardError):
    """The fix workflow's step cannot go on (the message says why and what to do)."""


@dataclass(frozen=True)
class Dispatched:
    """The inputs the guard dispatched the fix workflow with, checked."""

    recipe: ToolchainRecipe | GoGet
    argument: str
    sha: str
    signature: str
    run_id: int


def dispatched(event: Mapping[str, Any]) -> Dispatched:
    inputs = event.get("inputs")
    if not isinstance(inputs, dict):
        raise FixModeError(
            "This step runs in the fix workflow, started by the guard with workflow_dispatch; the event has no "
            "inputs.\n\nRun it only from examples/workflows/heal-fix.yml (on: workflow_dispatch)."
        )

    def text(name: str) -> str:
        value = inputs.get(name)
        return value.strip() if isinstance(value, str) else ""

    recipe = toolchain_recipe(text("recipe"))
    if recipe is None:
        raise FixModeError(f"The input recipe {clean(text('recipe'))[:60]!r} is not a toolchain recipe of the guard.")
    sha, signature, run_id = text("sha"), text("signature"), text("run-id")
    if not _SHA.match(sha):
        raise FixModeError("The input sha is not a full commit sha (40 hex digits).")
    if not _SIGNATURE.match(signature):
        raise FixModeError("The input signature is not a failure signature the guard makes.")
    if not run_id.isdigit() or not 0 < int(run_id) < 2**63:
        raise FixModeError("The input run-id is not a workflow run id.")
    return Dispatched(recipe, text("argument"), sha, signature, int(run_id))


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path or env.get("GITHUB_EVENT_NAME") != "workflow_dispatch":
        raise FixModeError(
            f"mode {read_input(env, 'mode')!r} runs in a workflow_dispatch workflow (heal-fix.yml), not on "
            f"{clean(env.get('GITHUB_EVENT_NAME') or 'no event')!r}."
        )
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FixModeError(f"The event file could not be read: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _config(env: Mapping[str, str], workspace: Path) -> GuardConfig:
    return load_config(workspace / read_input(env, "config-path"), catalogue=load_catalogue()).config


def fix_command(env: Mapping[str, str], stream: IO[str]) -> str:
    """``mode: fix-command``: the allowed command, written to ``$GITHUB_ENV``."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    d = dispatched(_event(env))
    try:
        command = command_line(d.recipe, d.argument, _config(env, workspace).fixes)
    except ValueError as exc:
        raise FixModeError(f"{exc}; the fix workflow runs nothing.") from exc
    env_file = env.get("GITHUB_ENV")
    if env_file:
        with open(env_file, "a", encoding="utf-8") as fh:
            fh.write(prepare_key_value_message("HEAL_FIX_COMMAND", command) + "\n")
            fh.write(prepare_key_value_message("HEAL_FIX_TOOLCHAIN", d.recipe.toolchain) + "\n")
    stream.write(f"recipe {d.recipe.id}: {command} (toolchain {d.recipe.toolchain})\n")
    return command


def _patch_text(env: Mapping[str, str], workspace: Path) -> str:
    raw = read_input(env, "patch-path")
    path = (workspace / raw).resolve()
    try:
        path.relative_to(workspace.resolve())
    except ValueError as exc:
        raise FixModeError(f"The input patch-path {clean(raw)[:100]!r} is not inside the workspace.") from exc
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError as exc:
        raise FixModeError(f"The patch could not be read: {exc}") from exc
    if data is None:
        raise FixModeError(f"The input patch-path {clean(raw)[:100]!r} names no file.")
    if len(data) > MAX_PATCH_BYTES:
        raise FixModeError(f"The patch is larger than {MAX_PATCH_BYTES >> 20} MB: the guard does not propose it.")
    return data.decode("utf-8", "replace")


def _check_run(run: RunInfo, d: Dispatched, config: GuardConfig) -> None:
    if run.head_sha != d.sha:
        raise FixModeError(f"Run {run.id} is not at commit {d.sha}: the fix is not proposed.")
    if from_fork(run):
        raise FixModeError(f"Run {run.id} comes from the fork {run.head_repository}: no fix pull request for a fork.")
    if not run.head_branch or config.is_protected(run.head_branch) or is_fix_branch(run.head_branch):
        raise FixModeError(f"Run {run.id} is on {run.head_branch or 'no branch'}, which gets no fix pull request.")


@dataclass(frozen=True)
class _Res:
    run: RunInfo


def open_fix_pull_request(env: Mapping[str, str], stream: IO[str], redact: Redactor) -> str:
    """``mode: fix``: the diff proposed as the fix pull request; returns its URL ("" when the
    command changed nothing)."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    d = dispatched(_event(env))
    config = _config(env, workspace)
    try:
        command = command_line(d.recipe, d.argument, config.fixes)
    except ValueError as exc:
        raise FixModeError(f"{exc}; the diff is not proposed.") from exc
    patch = _patch_text(env, workspace)
    token = read_input(env, "github-token") or env.get("GITHUB_TOKEN", "")
    client = GitHubClient(
        token, env.get("GITHUB_REPOSITORY", ""), api_url=env.get("GITHUB_API_URL") or "https://api.github.com"
    )
    run = client.get_run(d.run_id)
    _check_run(run, d, config)

    def read(path: str) -> str | None:
        found = client.get_file(path, d.sha)
        return found[0] if found else None

    try:
        files = apply(patch, read, d.recipe.touches)
    except PatchError as exc:
        raise FixModeError(f"The fix workflow's diff is not proposed: {exc}.") from exc
    if not files:
        stream.write(f"`{command}` changed nothing: no pull request.\n")
        return ""
    proposal = FixProposal(d.recipe.summary, tuple(files), d.recipe.id, d.recipe.risk, d.recipe.verify, command)
    body = (
        jinja_env()
        .get_template("fix_pr.md.j2")
        .render(
            res=_Res(run),
            r=None,
            change=proposal,
            marker=issue_marker(d.signature),
            run_url=run.html_url,
            token_note=APP_TOKEN_HOWTO,
        )
    )
    posted = open_fix(
        client,
        base=run.head_branch,
        signature=d.signature,
        proposal=proposal,
        title=f"fix(ci): {clean(d.recipe.summary, redact)}"[:250],
        body=truncate(redact.known(body), MAX_BODY),
        run_id=run.id,
    )
    verb = "opened" if posted.created else "updated"
    stream.write(f"{verb} fix pull request #{posted.number}: {posted.html_url}\n")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(f"## 🩺 Fix pull request\n\n{verb.capitalize()} #{posted.number} ({d.recipe.id}).\n")
    return posted.html_url


def main(mode: str, env: Mapping[str, str], stream: IO[str], redact: Redactor) -> None:
    """Run one fix-workflow step (raises ``HealingGuardError`` for the action's edge to report)."""
    if mode == "fix-command":
        fix_command(env, stream)
    else:
        open_fix_pull_request(env, stream, redact)
