"""Command line: serve the replica until Ctrl-C or SIGTERM; the first stdout line is its URL."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import date

from .faults import DEFAULT_KINDS, KINDS, FaultSettings, parse_kinds
from .identity import IDENTITY, SITE_VARIABLE, SITES
from .model import DEFAULT_SEED, EDIT_MODELS, Options
from .replatform import ARTICLE_TEMPLATES, PLATFORM, TemplateSettings
from .server import MirrorServer, ReplicaServer
from .site import Site


def parse_options(
    argv: list[str] | None = None,
) -> tuple[Options, FaultSettings, TemplateSettings, str, int, bool]:
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica",
        description="Serve a deterministic replica of www.chencang.gov.cn 陈仓要闻 on loopback.",
        epilog="Example: python -m tests.replica --port 0 --articles 47 --day 1",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--site",
        choices=sorted(SITES),
        default=IDENTITY.name,
        help="the county site played: its host, column path and ids, names (default chencang)",
    )
    parser.add_argument("--articles", type=int, default=47, help="articles on day 1 (>= 40)")
    parser.add_argument("--day", type=int, default=1, help="simulated day to start on")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--template", choices=("A", "B", "datastore"), default="A")
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--start-date", type=date.fromisoformat, default=date(2025, 12, 1))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--edit-rate", type=float, default=0.0)
    parser.add_argument(
        "--edit-model",
        choices=EDIT_MODELS,
        default="uniform",
        help="which articles the --edit-rate edits go to: any alike (uniform), or mostly those "
        "published in the last days (decaying)",
    )
    parser.add_argument(
        "--edit-half-life",
        type=float,
        default=3.0,
        metavar="DAYS",
        help="decaying: an article's chance of an edit halves every DAYS days of age (default 3)",
    )
    parser.add_argument("--robots", choices=("permissive", "strict"), default="permissive")
    parser.add_argument("--legacy", choices=("page", "redirect"), default="page")
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="also serve damaged copies of some articles on a second port (printed as the "
        "second stdout line, 'mirror: URL')",
    )
    parser.add_argument(
        "--duplicates",
        action="store_true",
        help="list the same article at a second URL (信息公开 column, legacy URL, re-edited "
        "copy) and some hrefs with canonicalisation traps",
    )
    parser.add_argument(
        "--invalid",
        action="store_true",
        help="list three invalid articles (1970 date, future date, boilerplate-only body)",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="list two articles a crawler must keep whose pages are hostile to a viewer (live "
        "markup calling /_replica/beacon; text that reads as markup, bidi controls, a 1 MB line)",
    )
    parser.add_argument(
        "--files",
        action="store_true",
        help="list nine articles whose images and attachments are hard for an archiver of files "
        "(shared, changing, vanishing, 30 MB, lying Content-Type, off-site, many types)",
    )
    faults = parser.add_argument_group(
        "fault modes", "off by default; also at runtime through POST /_replica/faults"
    )
    faults.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of list and article pages that are faulted (each fails its first 1 or 2 "
        "attempts, then serves normally); default 0",
    )
    faults.add_argument(
        "--fault-kinds",
        type=parse_kinds,
        default=DEFAULT_KINDS,
        metavar="K1,K2,...",
        help=f"kinds to choose from: {', '.join(KINDS)} (default: all but challenge)",
    )
    faults.add_argument("--fault-seed", type=int, default=0, metavar="N")
    faults.add_argument(
        "--fault-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long a timeout fault hangs before closing (default 5)",
    )
    faults.add_argument(
        "--block",
        action="store_true",
        help="every list and article request answers the 412 JavaScript challenge",
    )
    templates = parser.add_argument_group(
        "article template",
        "platform by default; also at runtime through POST /_replica/template. List pages never change",
    )
    templates.add_argument(
        "--article-template",
        choices=ARTICLE_TEMPLATES,
        default=PLATFORM,
        help="the markup of article pages: the platform's, or a re-platformed CMS's (same "
        "content, other containers, no government metas); default platform",
    )
    templates.add_argument(
        "--replatform-day",
        type=int,
        default=None,
        metavar="N",
        help="article pages use the re-platformed template from simulated day N on",
    )
    parser.add_argument(
        "--print-scenario", action="store_true", help="print the event table and exit"
    )
    args = parser.parse_args(argv)
    try:
        template_settings = TemplateSettings(args.article_template, args.replatform_day)
    except ValueError as error:
        parser.error(str(error))
    try:
        fault_settings = FaultSettings(
            rate=args.faults,
            kinds=args.fault_kinds,
            seed=args.fault_seed,
            timeout=args.fault_timeout,
            block=args.block,
        )
    except ValueError as error:
        parser.error(str(error))
    options = Options(
        articles=args.articles,
        day=args.day,
        seed=args.seed,
        template=args.template,
        per_page=args.per_page,
        start_date=args.start_date,
        days=args.days,
        edit_rate=args.edit_rate,
        edit_model=args.edit_model,
        edit_half_life=args.edit_half_life,
        robots=args.robots,
        legacy=args.legacy,
        mirror=args.mirror,
        duplicates=args.duplicates,
        invalid=args.invalid,
        hostile=args.hostile,
        files=args.files,
    )
    play(args.site)
    return options, fault_settings, template_settings, args.host, args.port, args.print_scenario


def play(site: str) -> None:
    """Become the replica of `site`: the pages' constants are read once, as the modules load, so
    another site than the loaded one starts the process again with its name in the environment."""
    if site != IDENTITY.name:
        environment = {**os.environ, SITE_VARIABLE: site}
        os.execve(
            sys.executable, [sys.executable, "-m", "tests.replica", *sys.argv[1:]], environment
        )


def print_scenario(site: Site) -> None:
    """The scripted and random events as a Markdown table (the README's scenario table)."""
    timeline = site.timeline
    print("| day | event | edit | article (rank) | url |")
    print("|---|---|---|---|---|")
    for event in timeline.events:
        rank = event.key if event.key < site.options.articles else f"new #{event.key}"
        url = timeline.canonical_path(event.key)
        print(f"| {event.day} | {event.kind} | {event.edit or ''} | {rank} | {url} |")
    if site.options.files:
        print_files(site)


def print_files(site: Site) -> None:
    """--files: the articles (first day, path) and the files (role, events, path or URL)."""
    file_set = site.timeline.extras.files
    print()
    print("| first day | article | path |")
    print("|---|---|---|")
    for article in file_set.articles:
        day = max(1, site.options.day_of(article.moment.date()))
        print(f"| {day} | {article.role} | {article.path} |")
    print()
    print("| role | type | events | file |")
    print("|---|---|---|---|")
    for spec in file_set.files:
        events = [
            f"day {v.day}: bytes {'back to the first' if v.label == spec.name else 'change'}"
            for v in spec.versions[1:]
        ]
        if spec.missing_from is not None:
            events.append(f"day {spec.missing_from}: 404")
        print(f"| {spec.role} | {spec.extension} | {', '.join(events)} | {spec.path or spec.url} |")


def stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    options, faults, templates, host, port, scenario_only = parse_options(argv)
    try:
        site = Site(options, faults, templates)
    except ValueError as error:
        print(f"replica: {error}", file=sys.stderr)
        return 2
    if scenario_only:
        print_scenario(site)
        return 0
    server = ReplicaServer((host, port), site)
    mirror = MirrorServer((host, 0), site) if options.mirror else None
    signal.signal(signal.SIGTERM, stop)
    print(server.base_url, flush=True)
    if mirror is not None:
        site.mirror_origin = mirror.base_url
        print(f"mirror: {mirror.base_url}", flush=True)
        threading.Thread(target=mirror.serve_forever, args=(0.2,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if mirror is not None:
            mirror.shutdown()
            mirror.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
