"""Write the bundled sample corpus ``samples/corpus/``: 8 synthetic agencies × 2021–2023, for the notebooks.

    .venv/bin/python scripts/make_sample_corpus.py            # (re)writes samples/corpus/
    .venv/bin/python scripts/make_sample_corpus.py --check    # and parses it back to confirm what it holds

Deterministic: the same files every run. Every report is ``gxnlp.synth.generate`` with its narrative quoted
from the labelled corpus ``corpora/gxnlp-zh`` (each agency leaning to its own themes), rendered in one of six
formats with realistic noise. What the corpus is built to show, all of it listed in the plan below:

* coverage: ``expected.csv`` is the full agency × year grid, one report of which has no file (MISSING);
* a failed identity: one report prints a table 3 value that breaks the sums (VIOLATION);
* the carry-over chain (format.md §5.2 S1): each agency's ``carried_in`` continues last year's ``carried_out``,
  except once (BROKEN_CHAIN); the 2021 table 2 stocks continue too (S2);
* boilerplate: each agency quotes its own share of the labelled corpus, so that agencies share only the
  stock sentences of the template and what they copy: some copy units from another agency's report of the
  same year, others recycle their own previous year's section 五 (COPIES).

``manifest.csv`` (file, agency, region, level, year) lists the files written; ``gxnlp.Corpus`` merges it into
``reports``.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gxnlp import synth  # noqa: E402
from gxnlp.labelled import load_units  # noqa: E402

OUT = REPO / "samples" / "corpus"
LABELLED = REPO / "corpora" / "gxnlp-zh"
YEARS = (2021, 2022, 2023)
TEMPLATE = "2021"
# slug (file names), agency (as printed), region, level
AGENCIES = (
    ("qinghe-gov", "青禾市人民政府办公室", "青禾市", "city"),
    ("qinghe-tax", "青禾市税务局", "青禾市", "city"),
    ("baisha-edu", "白沙县教育局", "青禾市", "county"),
    ("yunze-env", "云泽市生态环境局", "云泽市", "city"),
    ("shiqiao-land", "石桥区自然资源局", "云泽市", "county"),
    ("liutang-tax", "柳塘县税务局", "云泽市", "county"),
    ("chengxi-edu", "澄溪市教育局", "澄溪市", "city"),
    ("wugang-gov", "梧岗县人民政府办公室", "澄溪市", "county"),
)
FORMATS = ("html", "docx", "pdf", "markdown", "tab_text", "pipe_text")
MISSING = ("shiqiao-land", 2022)  # expected, generated (the chain goes on), but no file written
VIOLATION = ("yunze-env", 2022, "t3.granted.total")  # printed value breaks the table 3 sums
BROKEN_CHAIN = ("chengxi-edu", 2023)  # carried_in ≠ last year's carried_out (2 more natural persons)
# (slug, year) <- (source slug, source year, units copied, sections they come from)
COPIES = {
    ("wugang-gov", 2021): ("qinghe-gov", 2021, 4, ("s1",)),
    ("wugang-gov", 2022): ("qinghe-gov", 2022, 4, ("s1",)),
    ("wugang-gov", 2023): ("qinghe-gov", 2023, 4, ("s1",)),
    ("liutang-tax", 2022): ("qinghe-tax", 2022, 3, ("s1", "s5")),
    ("baisha-edu", 2022): ("baisha-edu", 2021, 5, ("s5",)),
    ("baisha-edu", 2023): ("baisha-edu", 2022, 5, ("s5",)),
    ("yunze-env", 2023): ("yunze-env", 2022, 3, ("s1", "s5", "s6")),
}
SIZE = {"city": {"scale": 2.0, "zero_rate": 0.3}, "county": {"scale": 0.7, "zero_rate": 0.6}}
_WRITTEN_SUFFIXES = {".html", ".docx", ".pdf", ".md", ".txt"}


def _stable_zip(data: bytes, published: str) -> bytes:
    """A .docx with every member dated the publication day (python-docx stamps the time of saving)."""
    when = (*map(int, published.split("-")), 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=when)
            member.compress_type, member.external_attr = info.compress_type, info.external_attr
            target.writestr(member, source.read(info))
    return out.getvalue()


def seed_of(index: int, year: int) -> int:
    return 2000 + 10 * index + (year - YEARS[0])


def build(units: list) -> dict[tuple[str, int], tuple[synth.SynthReport, str, int]]:
    """Every agency-year: (report, format, seed), generated in an order that lets copies find their source."""
    plan: dict[tuple[str, int], tuple[synth.SynthReport, str, int]] = {}
    # each agency quotes its own share of the labelled corpus: what two agencies share, one copied
    shards = [[u for u in units if zlib.crc32(u.id.encode()) % len(AGENCIES) == i] for i in range(len(AGENCIES))]
    order = sorted(range(len(AGENCIES)), key=lambda i: AGENCIES[i][0] in {s for s, *_ in COPIES.values()}, reverse=True)
    for year in YEARS:
        for index in order:
            slug, agency, _, level = AGENCIES[index]
            seed = seed_of(index, year)
            previous = plan.get((slug, year - 1), (None,))[0]
            options: dict = dict(SIZE[level], agency=agency, year=year, previous=previous, narrative=shards[index])
            if (slug, year) == BROKEN_CHAIN:
                carried = {col: int(previous.cells[f"t3.carried_out.{col}"]) for col in synth.T3_COLUMNS[:-1]}
                options["carried_in"] = carried | {"natural_person": carried["natural_person"] + 2}
            if (slug, year) == VIOLATION[:2]:
                options["violate"] = VIOLATION[2]
            if (slug, year) in COPIES:
                source, source_year, n, sections = COPIES[slug, year]
                options.update(copy_from=plan[source, source_year][0], n_copied=n, copy_sections=sections)
            report = synth.generate(seed, TEMPLATE, **options)
            plan[slug, year] = (report, FORMATS[(index + year) % len(FORMATS)], seed)
    return plan


def write(out: Path) -> list[Path]:
    """Write the corpus into ``out`` (files it wrote before are replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file() and (old.suffix in _WRITTEN_SUFFIXES or old.name in ("manifest.csv", "expected.csv")):
            old.unlink()
    plan = build(load_units([LABELLED]))
    meta = {slug: (agency, region, level) for slug, agency, region, level in AGENCIES}
    manifest, expected, written = [], [], []
    for slug, *_ in AGENCIES:
        for year in YEARS:
            agency, region, level = meta[slug]
            expected.append({"agency": agency, "region": region, "level": level, "year": year})
            if (slug, year) == MISSING:
                continue
            report, name, seed = plan[slug, year]
            data = synth.RENDERERS[name](report, seed, noise=True)
            if name == "docx":
                data = _stable_zip(data, report.published)
            path = out / f"{slug}-{year}{synth.SUFFIXES[name]}"
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
            manifest.append({"file": path.name, "agency": agency, "region": region, "level": level, "year": year})
            written.append(path)
    for name, rows in (("manifest.csv", manifest), ("expected.csv", expected)):
        with open(out / name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return written


def check(out: Path) -> list[str]:
    """Parse the corpus back: every value as generated, and exactly the planned finding of each kind."""
    from gxnlp import parse

    plan = build(load_units([LABELLED]))
    problems = []
    failed_reports = []
    for (slug, year), (truth, name, _) in sorted(plan.items()):
        if (slug, year) == MISSING:
            continue
        report = parse(out / f"{slug}-{year}{synth.SUFFIXES[name]}")
        wrong = {k: (report.cells.get(k), v) for k, v in truth.cells.items() if report.cells.get(k) != v}
        if not report.ok or wrong or report.agency != truth.agency or report.year != year:
            problems.append(f"{slug}-{year}: ok={report.ok} agency={report.agency} year={report.year} wrong={wrong}")
        if any(c["status"] == "fail" for c in report.checks):
            failed_reports.append((slug, year))
    if failed_reports != [VIOLATION[:2]]:
        problems.append(f"reports with failed identities: {failed_reports}, expected only {VIOLATION[:2]}")
    broken = [(slug, year) for (slug, year), (truth, _, _) in sorted(plan.items())
              if (slug, year - 1) in plan and (slug, year - 1) != MISSING and (slug, year) != MISSING
              and any(truth.cells[f"t3.carried_in.{c}"] != plan[slug, year - 1][0].cells[f"t3.carried_out.{c}"]
                      for c in synth.T3_COLUMNS)]
    if broken != [BROKEN_CHAIN]:
        problems.append(f"broken carry-over chains: {broken}, expected only {BROKEN_CHAIN}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=OUT, help=f"folder to write (default {OUT.relative_to(REPO)})")
    parser.add_argument("--check", action="store_true", help="parse the written files back and confirm the plan")
    args = parser.parse_args(argv)
    written = write(args.out)
    size = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    print(f"wrote {len(written)} reports, manifest.csv and expected.csv to {args.out} ({size / 1024:.0f} KiB)")
    if args.check:
        problems = check(args.out)
        print("\n".join(problems) or "check: every value parses back; one failed identity, one broken chain, one missing report")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
