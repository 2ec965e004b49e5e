import sys
from pathlib import Path

# tests/ holds small factories (rawfactory) imported by several test modules.
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

SAMPLE_YEARS = (2021, 2022, 2023, 2024, 2025)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole pipeline on the sample county, all years, into a temporary processed/reports root.

    Shared by the end-to-end tests so that the notebooks run once per test session.
    """
    from analysis.pipeline import run

    root = tmp_path_factory.mktemp("sample_run")
    roots = {"processed_root": root / "processed", "reports_root": root / "reports"}
    run("sample", list(SAMPLE_YEARS), progress=lambda _: None, **roots)
    return roots
