"""Every file of a publication, built from its snapshot alone (no database, no clock).

:func:`build_files` is what :func:`survey.services.publications.publish` stores and what
:func:`~survey.services.publications.rebuild` compares against: the same snapshot gives
the same bytes. PDFs are built in ReportLab's invariant mode with the publication time
from the snapshot; the zip has sorted entries, a fixed time stamp (the publication's) and
fixed permissions, and its README lists the SHA-256 of every file.

Kinds: ``round_report``, ``unit_report`` (one per unit), ``composite_report`` (when the
round combines its scores with target indicators and survey results), ``raw_scores``
(the anonymised scores CSV) and ``bundle`` (scores.csv, config.json, results.json,
README.txt).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

#: Reports print times in the federation's time zone.
ZONE = ZoneInfo("Asia/Shanghai")
PDF = "application/pdf"
CSV = "text/csv"
ZIP = "application/zip"
#: The order files are listed and stored in.
KIND_ORDER = ("round_report", "composite_report", "unit_report", "raw_scores", "bundle")


@dataclass(frozen=True)
class BuiltFile:
    kind: str
    filename: str
    mimetype: str
    content: bytes
    unit: str | None = None  #: the unit code of a unit report

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def file_prefix(snapshot: dict) -> str:
    """``kaimen-round3-v2`` (``kaimen-round3-preview`` before publication)."""
    version = snapshot.get("version")
    rid = snapshot["facts"]["round"]["id"]
    return f"kaimen-round{rid}-v{version}" if version else f"kaimen-round{rid}-preview"


def published_local(snapshot: dict) -> datetime | None:
    """The publication time in the federation's time zone (a preview: the time it was made, or None)."""
    value = snapshot.get("published_at") or snapshot.get("previewed_at")
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(ZONE)


def raw_scores(snapshot: dict) -> BuiltFile:
    """The anonymised raw scores: byte for byte the bundle's ``scores.csv``."""
    return BuiltFile("raw_scores", f"{file_prefix(snapshot)}-raw-scores.csv", CSV,
                     snapshot["inputs"]["scores.csv"].encode("utf-8"))


def build_files(snapshot: dict) -> list[BuiltFile]:
    """Round report, composite report, unit reports, raw scores and bundle, in that order."""
    from survey.services.report_data import report_files

    if snapshot.get("format") != 1:
        raise ValueError(f"unknown snapshot format {snapshot.get('format')!r}")
    files = [*report_files(snapshot), raw_scores(snapshot)]
    files.append(build_bundle(snapshot, files))
    files.sort(key=lambda f: (KIND_ORDER.index(f.kind), f.unit or "", f.filename))
    return files


# --------------------------------------------------------------------------- the bundle


README = """\
开门评议 · 可复核数据包 / Kaimen reproducibility bundle
======================================================

评议轮次 / Round:     {round_name}（{period}）
版本 / Version:       {version}
发布时间 / Published: {published_at} (Asia/Shanghai)
审计链头 / Audit chain head at publication:
    {audit_head}
{note}
本数据包可以独立重算本轮公布的全部数字，不需要 Kaimen 本身。
This bundle recomputes every published figure of the round without Kaimen itself.

重算方法 / How to recompute
---------------------------
需要 Python 3.11 以上和 Kaimen 的 scoring 包（随 kaimen 发行包提供，只依赖 numpy 和 scipy）。
You need Python 3.11+ and Kaimen's `scoring` package (shipped in the kaimen distribution;
it needs only numpy and scipy).

    unzip {prefix}-bundle.zip && cd {prefix}
    python -m scoring scores.csv config.json --out out/

out/result.json 与本包的 results.json 应逐字节相同（每张表另存为 out/<表名>.csv）：
out/result.json must be byte-for-byte identical to results.json here
(every table is also written as out/<table>.csv):

    diff results.json out/result.json        # prints nothing / 无输出
    sha256sum out/result.json                # = the hash of results.json below

文件 / Files
------------
scores.csv   原始评分（长表）：unit,rater,criterion,points；points 为空表示"无法判断"。
             评分人编号（R01 起）按本轮单独化名，不含姓名；化名与真人的对应关系不公开。
             Raw scores, one row per unit, rater and criterion; empty points = "cannot judge".
             Raters are pseudonymised per round (R01...); the mapping to people is not published.
config.json  评分细则、汇总设置、评分人（类型、评审组）、被评单位、回避规则{composite_zh}。
             Framework, aggregation settings, raters (type, panel), units, recusal rules{composite_en}.
             Recorded and declared conflicts carry their category instead of the free-text reason.
results.json 公布的结果：python -m scoring 写出的 result.json 原文。
             The published results: the result.json that python -m scoring writes, as published.
README.txt   本说明 / this file.

SHA-256
-------
{bundle_hashes}

本次发布的其他文件 / The other files of this publication
--------------------------------------------------------
{published_hashes}

任何文件的哈希都可在 Kaimen 的核验页面（{verify_url}）查询它是哪份报告、哪个版本、何时发布。
Any file's hash can be checked on Kaimen's verification page ({verify_url}): which report,
which version, and when it was published.
"""


def _zip_time(snapshot: dict) -> tuple[int, int, int, int, int, int]:
    moment = published_local(snapshot)
    if moment is None:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def _hash_lines(items: list[tuple[str, bytes]]) -> str:
    return "\n".join(f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in items)


def readme(snapshot: dict, contents: dict[str, bytes], others: list[BuiltFile]) -> str:
    facts = snapshot["facts"]
    moment = published_local(snapshot)
    note = snapshot.get("note") or ""
    composite = '"composite"' in snapshot["inputs"]["config.json"]
    return README.format(
        prefix=file_prefix(snapshot),
        verify_url=facts.get("verify_url") or "/verify",
        round_name=facts["round"]["name"],
        period=facts["round"]["period"],
        version=snapshot.get("version") or "预览 / preview (not published)",
        published_at=moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "—",
        audit_head=snapshot.get("audit_head") or "—",
        note=f"\n更正说明 / What changed: {note}\n" if note else "",
        composite_zh="，以及综合考核的指标与权重" if composite else "",
        composite_en=", and the composite assessment's indicators and weights" if composite else "",
        bundle_hashes=_hash_lines(sorted(contents.items())),
        published_hashes="\n".join(f"{f.sha256}  {f.filename}" for f in others) or "—",
    )


def build_bundle(snapshot: dict, others: list[BuiltFile]) -> BuiltFile:
    """The reproducibility bundle: scores.csv, config.json, results.json and README.txt."""
    contents = {
        "scores.csv": snapshot["inputs"]["scores.csv"].encode("utf-8"),
        "config.json": snapshot["inputs"]["config.json"].encode("utf-8"),
        "results.json": snapshot["outputs"]["result.json"].encode("utf-8"),
    }
    ordered = sorted(others, key=lambda f: (KIND_ORDER.index(f.kind), f.unit or "", f.filename))
    contents["README.txt"] = readme(snapshot, contents, ordered).encode("utf-8")
    prefix = file_prefix(snapshot)
    when = _zip_time(snapshot)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(contents):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, contents[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return BuiltFile("bundle", f"{prefix}-bundle.zip", ZIP, buffer.getvalue())
