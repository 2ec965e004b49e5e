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
    steps = [s.name for s in catalog.STEPS.values()]
    unknown = [n for n in args.notebooks or () if not any(n in (s, s.split("_")[0]) for s in steps)]
    if unknown:  # refused before anything runs
        print(f"未知的步骤 {'、'.join(unknown)}；可选：{'、'.join(steps)}（写编号即可，如 --notebooks 01 02）",
              file=sys.stderr)
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
        print(f"\n运行失败：\n{exc}", file=sys.stderr)
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
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="analysis", description="县域义务教育优质均衡发展评估", formatter_class=fmt,
                                     epilog="例：analysis validate data/raw/示例县/2025；analysis run --county sample --years 2025\n"
                                            "各子命令的说明：analysis run -h")
    sub = parser.add_subparsers(dest="command", required=True, title="子命令")
    p = sub.add_parser("run", help="运行一个县一个或多个年份的全部步骤（笔记本），生成报告", formatter_class=fmt,
                       description="运行 data/raw/<县>/<年份>/ 的全部步骤，结果在 data/processed/ 和 reports/。",
                       epilog="例：analysis run --county sample --years 2023 2024 2025 --jobs 2\n"
                              "    analysis run --county sample --year 2025 --notebooks 01 02 --force")
    p.add_argument("--county", required=True, help="县文件夹名（data/raw 下），例：--county sample")
    p.add_argument("--year", type=int, help="一个统计年份，例：--year 2025")
    p.add_argument("--years", type=int, nargs="+", help="多个年份，早的在前，例：--years 2023 2024 2025（缺省：全部年份文件夹）")
    p.add_argument("--profile", default="", help="评估口径（缺省取 county.yaml），例：--profile chongqing")
    p.add_argument("--notebooks", nargs="+", help="只运行这些步骤（编号），例：--notebooks 01 02")
    p.add_argument("--force", action="store_true", help="全部重跑，即使输入没有变化，例：--force")
    p.add_argument("--jobs", type=int, default=None,
                   help="同时运行的进程数（缺省：全部核心；1 = 在本进程内运行），例：--jobs 2")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("batch", help="并行运行一个省文件夹下的每个县（或在 Dask 集群上）", formatter_class=fmt,
                       description="一个省文件夹下每个县一个子文件夹，逐县运行并生成全省汇总。",
                       epilog="例：analysis batch data/raw/示例省 --year 2025 --jobs 2")
    p.add_argument("province", help="省文件夹，内含每县一个文件夹，例：data/raw/示例省")
    p.add_argument("--year", type=int, help="评估的统计年份，例：--year 2025")
    p.add_argument("--years", type=int, nargs="+", help="多个年份，早的在前，例：--years 2023 2024 2025")
    p.add_argument("--jobs", type=int, default=None, help="同时运行的县数（缺省：全部核心），例：--jobs 2")
    p.add_argument("--scheduler", help="已启动的 Dask 调度器地址，例：--scheduler tcp://10.0.0.5:8786")
    p.add_argument("--profile", default="", help="所有县统一的评估口径（缺省：各县 county.yaml），例：--profile national")
    p.add_argument("--force", action="store_true", help="每个县的每个步骤都重跑，例：--force")
    p.set_defaults(func=_cmd_batch)
    p = sub.add_parser("validate", help="检查一个县一个年份的原始数据，列出全部问题和将“缺少数据”的项目",
                       formatter_class=fmt,
                       description="一次列出全部错误和警告，并预判哪些评估项目将显示为“缺少数据”及原因；结果写入 " + catalog.dataset("validation").file + "。",
                       epilog="例：analysis validate data/raw/sample/2025\n"
                              "    analysis validate 新县/2025 --profile anhui --out 校验结果")
    p.add_argument("folder", help="县-年份原始数据文件夹，例：data/raw/sample/2025")
    p.add_argument("--profile", default="", help="评估口径（缺省取上级文件夹的 county.yaml，否则 national），例：--profile anhui")
    p.add_argument("--year", type=int, help="统计年份（缺省取文件夹名），例：--year 2025")
    p.add_argument("--out", help=catalog.dataset("validation").file + " 的输出文件夹（缺省：data/processed/validate/<县>/<年份>），例：--out 校验结果")
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("templates", help="生成填报模板（中文表头、下拉列表，县级指标已预填）", formatter_class=fmt,
                       epilog="例：analysis templates templates_out --profile anhui")
    p.add_argument("dir", help="模板输出文件夹（不要写入 data/raw），例：templates_out")
    p.add_argument("--profile", default="national", help="按该评估口径列出县级指标（缺省 national），例：--profile anhui")
    p.set_defaults(func=_cmd_templates)
    p = sub.add_parser("sample", help="重新生成虚构的示例县数据（结果确定）", formatter_class=fmt,
                       epilog="例：analysis sample --out data/raw/sample")
    p.add_argument("--out", default=str(config.RAW / "sample"), help="输出文件夹，例：--out data/raw/sample")
    p.add_argument("--defects", help="同时把缺陷测试数据写到这里，例：--defects tests/fixtures/defects")
    p.set_defaults(func=_cmd_sample)
    args = parser.parse_args(argv)
    return args.func(args)
