import sys
from pathlib import Path

# tests/ holds small factories (rawfactory) imported by several test modules.
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

# The last three years of the sample: the first two have too short a history for a projection, the third has one
# (the profile's min_history_years); two more years would only repeat the same steps at ~20 s each.
SAMPLE_YEARS = (2023, 2024, 2025)


def _shared_root(tmp_path_factory, worker_id: str) -> Path:
    """A folder shared by every pytest-xdist worker of this session (the session's base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, worker_id):
    """The whole pipeline on the sample county, ``SAMPLE_YEARS``, into a temporary processed/reports root.

    Run once per test session, whatever the number of xdist workers: the first worker to get the lock runs it,
    the others wait for it and read the same outputs (the end-to-end tests only read them).
    """
    import fcntl

    from analysis.pipeline import run

    root = _shared_root(tmp_path_factory, worker_id) / "sample_run"
    root.mkdir(exist_ok=True)
    roots = {"processed_root": root / "processed", "reports_root": root / "reports"}
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            run("sample", list(SAMPLE_YEARS), progress=lambda _: None, **roots)
            (root / "done").touch()
    return roots
