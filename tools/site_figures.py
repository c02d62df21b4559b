"""Print the site's figures: build times, page weights, time until the maths is rendered.

Two uses:

  python -m tools.site_figures --time cold -- make html
      run the command, note how long it took under the label "cold" (or
      "rebuild") in BUILD_DIR/site-figures.json, and exit with its status.
      `make test` times its clean build this way, and then a second
      `make html` with nothing changed.

  python -m tools.site_figures [--build-dir DIR] [--repeat N]
      print the noted build times, then load every page of DIR/html in
      Chromium (a fresh browser context each time: nothing cached) and print,
      heaviest first, the bytes a reader downloads (every response the page
      loads, gzip-compressed as GitHub Pages sends text; images and fonts as
      they are) and the time from navigation until all its maths is rendered
      (median of N loads).

The maths is typeset when the book is built (book/_ext/prerender_maths.py),
so no page runs MathJax: "maths rendered" is the time until the page has been
parsed (every formula is in it), laid out, and its fonts have loaded, with
no formula left untypeset (tools/site_visit.py, MATHS_TIMER_JS).

Targets on the 2-core reference machine: cold build <= 90 s, rebuild with
nothing changed <= 10 s, heaviest page <= 1 MB, maths rendered <= 1.5 s. The
figures are printed, never asserted: timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tools import chromium, site_visit
from tools.config import html_dir as default_html_dir

TARGETS = {"cold": 90.0, "rebuild": 10.0}
PAGE_BYTES_TARGET = 1_000_000
MATHS_MS_TARGET = 1500.0


def mark(ok: bool) -> str:
    return "ok  " if ok else "OVER"


def time_command(build_dir: Path, label: str, command: list[str]) -> int:
    record_file = build_dir / "site-figures.json"
    cache_before = (build_dir / ".jupyter_cache").is_dir()
    html_before = (build_dir / "html" / "index.html").is_file()
    start = time.monotonic()
    status = subprocess.call(command)
    seconds = time.monotonic() - start
    build_dir.mkdir(parents=True, exist_ok=True)
    records = json.loads(record_file.read_text()) if record_file.is_file() else {}
    records[label] = {
        "seconds": round(seconds, 1),
        "command": " ".join(command),
        "status": status,
        "execution_cache_before": cache_before,
        "site_before": html_before,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    record_file.write_text(json.dumps(records, indent=2) + "\n")
    print(f"site figures: {label} build took {seconds:.1f} s")
    return status


def print_build_times(build_dir: Path) -> None:
    record_file = build_dir / "site-figures.json"
    records = json.loads(record_file.read_text()) if record_file.is_file() else {}
    print("Build times")
    for label, target in TARGETS.items():
        record = records.get(label)
        if record is None:
            print(f"  {label:8s}  not measured (run `make test`, or --time {label} -- make html)")
            continue
        notes = []
        if label == "cold":
            notes.append(
                "no site before" if not record["site_before"] else "a site existed before!"
            )
            notes.append(
                "execution cache restored (chapters not re-executed)"
                if record["execution_cache_before"]
                else "empty execution cache: every chapter executed"
            )
        if record["status"]:
            notes.append(f"exit status {record['status']}")
        print(
            f"  {label:8s} {record['seconds']:7.1f} s   target <= {target:.0f} s  "
            f"{mark(record['seconds'] <= target)}  ({'; '.join(notes) or record['when']})"
        )


def measure_pages(html_dir: Path, repeat: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with chromium.serve(html_dir) as base_url, sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        try:
            for path in site_visit.html_pages(html_dir):
                loads = []
                for _ in range(repeat):
                    with site_visit.open_page(browser, base_url, path, site=html_dir) as (_, visit):
                        pass
                    loads.append(visit)
                heaviest = max(loads, key=lambda v: v.transfer_bytes)
                times = [v.maths_done_ms for v in loads if v.maths_done_ms is not None]
                rows.append(
                    {
                        "page": path,
                        "bytes": heaviest.transfer_bytes,
                        "requests": len(heaviest.resources),
                        "maths_ms": statistics.median(times) if times else None,
                        "formulas": heaviest.maths_count,
                        "resources": sorted(heaviest.resources, key=lambda r: r[2], reverse=True),
                        "problems": heaviest.problems(),
                    }
                )
        finally:
            browser.close()
    rows.sort(key=lambda row: -row["bytes"])
    return rows


def print_pages(rows: list[dict], repeat: int) -> None:
    print(
        f"\nPages, heaviest first (bytes downloaded gzip-compressed; "
        f"maths rendered: median of {repeat})"
    )
    print(f"  {'page':32s} {'kB':>8s} {'req':>4s} {'formulas':>8s}  {'maths':>9s}")
    for row in rows:
        maths = "failed" if row["maths_ms"] is None else f"{row['maths_ms'] / 1000:.2f} s"
        print(
            f"  {row['page']:32s} {row['bytes'] / 1000:8.1f} {row['requests']:4d} "
            f"{row['formulas']:8d}  {maths:>9s}"
            + ("  " + "; ".join(row["problems"]) if row["problems"] else "")
        )
    if not rows:
        return
    heaviest = rows[0]
    timed = [r for r in rows if r["maths_ms"] is not None]
    slowest = max(timed, key=lambda r: r["maths_ms"]) if timed else None
    print(
        f"\n  heaviest page  {heaviest['bytes'] / 1000:7.1f} kB   target <= "
        f"{PAGE_BYTES_TARGET / 1000:.0f} kB  {mark(heaviest['bytes'] <= PAGE_BYTES_TARGET)}"
        f"  ({heaviest['page']})"
    )
    if slowest is not None:
        print(
            f"  slowest maths  {slowest['maths_ms'] / 1000:6.2f} s    target <= "
            f"{MATHS_MS_TARGET / 1000:.1f} s    {mark(slowest['maths_ms'] <= MATHS_MS_TARGET)}"
            f"  ({slowest['page']}, all maths rendered)"
        )
    print(f"\n  what {heaviest['page']} downloads, largest first:")
    for url, content_type, size in heaviest["resources"][:12]:
        print(f"    {size / 1000:7.1f} kB  {url.split('/', 3)[-1]}  ({content_type.split(';')[0]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=default_html_dir().parent)
    parser.add_argument("--time", choices=sorted(TARGETS), help="time the command after --")
    parser.add_argument("--repeat", type=int, default=3, help="loads per page (default 3)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    build_dir = args.build_dir.resolve()

    if args.time:
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("--time needs a command after --")
        return time_command(build_dir, args.time, command)

    html_dir = build_dir / "html"
    if not (html_dir / "index.html").is_file():
        print(f"no built site at {html_dir}: run `make html` first", file=sys.stderr)
        return 1
    print(
        f"Site figures for {html_dir} ({os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    print_build_times(build_dir)
    print_pages(measure_pages(html_dir, max(1, args.repeat)), max(1, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
