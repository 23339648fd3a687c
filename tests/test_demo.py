"""`healing-guard demo` runs the whole loop against the simulator and tells the story."""

from __future__ import annotations

import io
from pathlib import Path

from healing_guard.demo import run_demo


def test_demo_heals_the_transient_job_and_comments(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(out, workspace=tmp_path) == 0
    text = out.getvalue()
    assert "category:   network" in text and "category:   test_failure" in text
    assert "install (node 20): rerun" in text and "unit tests: comment" in text
    assert "POST /repos/acme/shop/actions/jobs/" in text and "/rerun" in text
    assert "POST /repos/acme/shop/issues/12/comments" in text
    assert "ended success" in text
    assert "## 🩺 Self-Healing Pipeline Guard" in text
