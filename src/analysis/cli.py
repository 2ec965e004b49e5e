"""Command line (命令行): ``analysis run``, ``analysis validate``, ``analysis templates``, ``analysis sample``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analysis import config


def _cmd_run(args: argparse.Namespace) -> int:
    from analysis.pipeline import PipelineError, run

    years = args.years or ([args.year] if args.year else None)
    if not years:
        base = config.RAW / args.county
        years = sorted(int(p.name) for p in base.iterdir() if p.name.isdigit()) if base.is_dir() else []
    if not years:
        print(f"no years found under {config.RAW / args.county}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        results = run(args.county, years, args.profile, only=args.notebooks)
    except PipelineError as exc:
        print(f"\nRUN FAILED: {exc}", file=sys.stderr)
        return 1
    for r in results:
        print(f"{r.county} {r.year}: {r.reports}")
    print(f"done in {time.perf_counter() - start:.1f} s; index: {config.REPORTS / 'index.html'}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from analysis.cleaning import InputError, clean_folder

    try:
        result = clean_folder(Path(args.folder))
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 1
    issues = result.issues
    if issues.empty:
        print("no problems found")
        return 0
    print(issues.to_string(index=False))
    return 1 if result.has_errors else 0


def _cmd_templates(args: argparse.Namespace) -> int:
    from analysis.input_templates import write_templates

    for path in write_templates(Path(args.dir)):
        print(path)
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from analysis import sample

    argv = ["--out", args.out] + (["--defects", args.defects] if args.defects else [])
    return sample.main(argv)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="analysis", description="县域义务教育优质均衡发展评估")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the numbered notebooks for a county and year(s)")
    p.add_argument("--county", required=True)
    p.add_argument("--year", type=int)
    p.add_argument("--years", type=int, nargs="+")
    p.add_argument("--profile", default="", help="standards profile (default: the county's county.yaml)")
    p.add_argument("--notebooks", nargs="+", help="only these notebooks (numbers like 01 02)")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("validate", help="check a raw county-year folder and list every problem")
    p.add_argument("folder")
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("templates", help="write empty Excel templates with the Chinese headers")
    p.add_argument("dir")
    p.set_defaults(func=_cmd_templates)
    p = sub.add_parser("sample", help="regenerate the fictional sample county (deterministic)")
    p.add_argument("--out", default=str(config.RAW / "sample"))
    p.add_argument("--defects", help="also write the defect test fixture here (tests/fixtures/defects)")
    p.set_defaults(func=_cmd_sample)
    args = parser.parse_args(argv)
    return args.func(args)
