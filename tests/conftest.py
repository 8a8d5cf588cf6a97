"""The docs site, built once per test run and shared by tests/test_docs.py and tests/test_docs_browser.py.

Under pytest-xdist each worker has its own session, so the build goes to the run's shared base
temporary directory, guarded by a lock file: the first worker to need the site builds it, the
others wait for it and reuse it (and its outcome: a failed build fails every test that needs it).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` into a temporary directory, once; the built site's path."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the workers' base directories share this parent within one run
    out, record = shared / "docs-site", shared / "docs-site.json"
    with open(shared / "docs-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.exists():
            env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
            result = subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )
            record.write_text(json.dumps({"returncode": result.returncode, "stdout": result.stdout[-4000:],
                                          "stderr": result.stderr[-4000:]}))
        build = json.loads(record.read_text())
    assert build["returncode"] == 0, build["stdout"] + build["stderr"]
    assert "WARNING" not in build["stderr"], build["stderr"]
    return out
