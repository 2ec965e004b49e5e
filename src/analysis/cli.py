"""Command line (命令行): ``analysis run``, ``analysis validate``, ``analysis templates``, ``analysis sample``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analysis import config
from analysis.data import catalog


def _cmd_run(args: argparse.Namespace) -> int:
    from analysis.context import CountyError, check_county_name
    from analysis.pipeline import PipelineError, run
    from analysis.standards import ProfileError

    try:
        check_county_name(args.county)
    except CountyError as exc:
        print(exc, file=sys.stderr)
        return 2
    years = args.years or ([args.year] if args.year else None)
    if not years:
        base = config.RAW / args.county
        years = sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) if base.is_dir() else []
    if not years:
        print(f"在 {config.RAW / args.county} 下没有找到年份文件夹（如 2025/）", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        report = run(args.county, years, args.profile, only=args.notebooks, force=args.force, jobs=args.jobs)
    except (CountyError, ProfileError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except PipelineError as exc:
        if getattr(exc, "report", None) is not None:
            print("\n" + exc.report.table())
        print(f"\n运行失败 RUN FAILED:\n{exc}", file=sys.stderr)
        return 1
    print("\n" + report.table())
    ran, skipped = report.count("ran"), report.count("skipped")
    print(f"\n运行 {ran} 个步骤，跳过 {skipped} 个未变化的步骤（--force 全部重跑）。")
    for r in report:
        print(f"{r.county} {r.year}: {r.reports}" + ("" if r.published else "（未变化）"))
    print(f"用时 {time.perf_counter() - start:.1f} s；索引：{config.REPORTS / catalog.INDEX_FILE}")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from analysis.batch import batch, verdict_table
    from analysis.pipeline import PipelineError

    years = args.years or ([args.year] if args.year else None)
    try:
        report = batch(Path(args.province), years, jobs=args.jobs, scheduler=args.scheduler, profile=args.profile,
                       force=args.force)
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 2
    print("\n" + verdict_table(report, config.PROCESSED / report.province, years[-1] if years else None))
    print(f"\n{len(report.outcomes)} 个县，失败 {len(report.failed())} 个；用时 {report.seconds:.1f} s；"
          f"全省汇总：{report.page}")
    return 1 if report.failed() else 0


def _validate_profile(folder: Path, name: str) -> dict:
    """The profile of ``--profile``, else the county.yaml next to the year folder, else national."""
    from analysis.context import CountyError, county_meta, resolve_profile

    if name:
        return resolve_profile(name, folder.parent.name, folder.parent.parent)
    try:
        meta = county_meta(folder.parent.name, folder.parent.parent)
    except CountyError:
        meta = {}
    return resolve_profile(meta.get("standards_profile", "national"), folder.parent.name, folder.parent.parent)


def _cmd_validate(args: argparse.Namespace) -> int:
    from analysis.precheck import chinese_issues, precheck, terminal_table, write_issues
    from analysis.standards import ProfileError

    folder = Path(args.folder)
    year = args.year or (int(folder.name) if folder.name.isdigit() else time.localtime().tm_year)
    try:
        profile = _validate_profile(folder, args.profile)
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return 2
    issues = precheck(folder, profile, year)
    out_dir = Path(args.out) if args.out else config.PROCESSED / "validate" / folder.parent.name / folder.name
    path = write_issues(issues, out_dir)
    errors = int((issues["severity"] == "error").sum())
    missing = int((issues["rule"] == "missing_data").sum())
    warnings = int((issues["severity"] == "warning").sum()) - missing
    if not issues.empty:
        shown = chinese_issues(issues).drop(columns=["规则"])
        print(terminal_table(shown))
    print(f"\n错误 {errors} 个，警告 {warnings} 个，将显示为“缺少数据”的项目 {missing} 项"
          f"（评估口径：{profile.get('title', profile['name'])}）。")
    print(f"全部问题已写入 {path}")
    if errors:
        print("有错误时运行会停止：请先改正错误。")
    elif missing:
        print("没有错误，可以运行；上面列出的项目将显示为“缺少数据”，结论为“不予认定”，补齐数据后再运行即可。")
    else:
        print("没有发现问题。")
    return 1 if errors else 0


def _cmd_templates(args: argparse.Namespace) -> int:
    from analysis.data.templates import write_templates
    from analysis.standards import ProfileError, load_profile

    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in write_templates(Path(args.dir), profile):
        print(path)
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from analysis.data import sample

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
    p.add_argument("--force", action="store_true", help="rerun every step, even those whose inputs are unchanged")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes for independent steps (default: all cores; 1 runs in this process)")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("batch", help="run every county of a province folder in parallel (or on a Dask cluster)",
                       description="例：analysis batch data/raw/示例省 --year 2025 --jobs 2")
    p.add_argument("province", help="province folder holding one folder per county, e.g. data/raw/示例省")
    p.add_argument("--year", type=int, help="the statistical year to evaluate, e.g. 2025")
    p.add_argument("--years", type=int, nargs="+", help="several years, earlier first, e.g. 2023 2024 2025")
    p.add_argument("--jobs", type=int, default=None, help="counties at the same time (default: all cores)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--profile", default="", help="standards profile for every county (default: each county.yaml)")
    p.add_argument("--force", action="store_true", help="rerun every step of every county")
    p.set_defaults(func=_cmd_batch)
    p = sub.add_parser("validate", help="check a raw county-year folder and list every problem")
    p.add_argument("folder")
    p.add_argument("--profile", default="")
    p.add_argument("--year", type=int)
    p.add_argument("--out")
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("templates", help="write empty Excel templates with the Chinese headers")
    p.add_argument("dir")
    p.add_argument("--profile", default="national")
    p.set_defaults(func=_cmd_templates)
    p = sub.add_parser("sample", help="regenerate the fictional sample county (deterministic)")
    p.add_argument("--out", default=str(config.RAW / "sample"))
    p.add_argument("--defects", help="also write the defect test fixture here (tests/fixtures/defects)")
    p.set_defaults(func=_cmd_sample)
    args = parser.parse_args(argv)
    return args.func(args)
