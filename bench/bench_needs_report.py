"""Timing of the needs report PDF builder for a questionnaire the size of the demo's.

Run from the repository root::

    python -m bench.bench_needs_report           # 3 runs
    python bench/bench_needs_report.py --runs 5 --out /tmp/needs.pdf

The report data is made the way the analysis service would make it, from the
demo's needs questionnaire (25 questions in 4 sections) and 20,000 synthetic
respondents drawn with numpy: frequency tables with Wilson intervals for every
choice question, distributions for the rating and matrix questions, the ranking
summary with Borda scores, the needs and services priority order, breakdowns of
the services question by each demographic question (chi-square test, adjusted
residuals), participation of 330 units and the questionnaire as the appendix.

The answers are drawn independently per question (not the demo's latent-trait
model): the point is the size of the report, not its findings. Two timings
are printed: making the data object (the statistics, with scoring.survey) and
building the PDF from it (survey.reports.needs_report). The target for the
whole of "kaimen report needs" on the demo is under 5 s; the builder's share is
the second number. Timings are machine-dependent and never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from forms.questionnaire.spec import QuestionType
from scoring.survey import (
    choice_shares,
    crosstab_test,
    ranking_summary,
    wilson_interval,
)
from survey.demo_questionnaires import needs_questionnaire
from survey.reports.needs_report import (
    AppendixQuestion,
    AppendixSection,
    Breakdown,
    BreakdownCell,
    ChartKind,
    Finding,
    FrequencyRow,
    Measure,
    NeedsReportData,
    ParticipationRow,
    QuestionResult,
    ScaleItem,
    build_needs_report,
)

N = 20_000
K = 5
KINDS = {
    QuestionType.SINGLE_CHOICE: "单选题", QuestionType.MULTIPLE_CHOICE: "多选题", QuestionType.RATING: "评分题",
    QuestionType.MATRIX: "矩阵量表题", QuestionType.RANKING: "排序题", QuestionType.NUMBER: "数值题",
    QuestionType.SHORT_TEXT: "填空题", QuestionType.LONG_TEXT: "问答题", QuestionType.DATE: "日期题",
}


def _rows(labels, counts, base) -> tuple[FrequencyRow, ...]:
    counts = np.asarray(counts)
    low, high = wilson_interval(counts, base)
    rows = []
    for label, c, lo, hi in zip(labels, counts, low, high):
        if c < K:
            rows.append(FrequencyRow(label, None, None))
        else:
            rows.append(FrequencyRow(label, int(c), c / base, float(lo), float(hi)))
    return tuple(rows)


def _findings(labels, counts, base) -> tuple[Finding, ...]:
    counts = np.asarray(counts)
    low, high = wilson_interval(counts, base)
    order = np.argsort(-counts, kind="stable")[:5]
    out = []
    for i, j in enumerate(order):
        tied = i + 1 < len(order) and high[order[i + 1]] >= low[j]
        out.append(Finding(labels[j], counts[j] / base, float(low[j]), float(high[j]), int(counts[j]), bool(tied)))
    return tuple(out)


def make_data(seed: int = 7) -> NeedsReportData:
    """The report data for 20,000 synthetic respondents to the demo needs questionnaire."""
    rng = np.random.default_rng(seed)
    spec = needs_questionnaire()
    questions: list[QuestionResult] = []
    demographic: dict[str, tuple[list[str], np.ndarray]] = {}
    services = needs = None
    for number, q in enumerate(spec.questions(), start=1):
        code, title, kind = f"Q{number}", q.title.zh, KINDS[q.type]
        labels = [o.label.zh for o in q.options]
        if q.type is QuestionType.SINGLE_CHOICE:
            p = rng.dirichlet(np.full(len(labels), 2.0))
            answers = rng.choice(len(labels), size=N, p=p)
            counts = np.bincount(answers, minlength=len(labels))
            if q.demographic is not None:
                demographic[title] = (labels, answers)
            questions.append(QuestionResult(code, title, kind, N, _rows(labels, counts, N)))
        elif q.type is QuestionType.MULTIPLE_CHOICE:
            ticks = rng.random((N, len(labels))) < rng.uniform(0.05, 0.5, len(labels))
            shares = choice_shares(ticks)
            questions.append(QuestionResult(code, title, kind, N, _rows(labels, shares.counts, N)))
            if q.id == "needs":
                services = (labels, ticks)
            if q.id == "rights_problems":
                needs = (labels, shares.counts)
        elif q.type in (QuestionType.RATING, QuestionType.MATRIX):
            points = list(range(q.scale_min, q.scale_max + 1))
            point_labels = [str(p) for p in points]
            point_labels[0] += f" {q.scale_min_label.zh}".rstrip()
            point_labels[-1] += f" {q.scale_max_label.zh}".rstrip()
            items = [r.label.zh for r in q.rows] or [title]
            scale_items = []
            for item in items:
                answers = rng.choice(points, size=N, p=rng.dirichlet(np.full(len(points), 3.0)))
                counts = np.array([(answers == p).sum() for p in points])
                mean, sd = answers.mean(), answers.std(ddof=1)
                half = 1.96 * sd / np.sqrt(N)
                scale_items.append(ScaleItem(item, N, tuple(c / N for c in counts), float(mean), float(mean - half),
                                             float(mean + half)))
            questions.append(QuestionResult(code, title, kind, N, chart=ChartKind.DISTRIBUTION,
                                            scale_points=tuple(point_labels), scale_items=tuple(scale_items)))
        elif q.type is QuestionType.RANKING:
            top = q.rank_top or len(labels)
            ranks = np.full((N, len(labels)), np.nan)
            picks = np.argsort(rng.gumbel(size=(N, len(labels))) + rng.normal(0, 1, len(labels)), axis=1)[:, -top:]
            for r in range(top):
                ranks[np.arange(N), picks[:, top - 1 - r]] = r + 1
            summary = ranking_summary(ranks, top_n=top)
            rows = []
            for i, label in enumerate(labels):
                rows.append(FrequencyRow(
                    label, int(summary.n_ranked[i]), float(summary.first_share[i]),
                    float(summary.first_share_ci[0][i]), float(summary.first_share_ci[1][i]),
                    (Measure(float(summary.mean_rank[i]), float(summary.mean_rank_ci[0][i]),
                             float(summary.mean_rank_ci[1][i])),
                     Measure(float(summary.borda[i]), float(summary.borda_ci[0][i]), float(summary.borda_ci[1][i]))),
                ))
            questions.append(QuestionResult(code, title, kind, N, tuple(rows), share_heading="排第一的比例",
                                            extra_columns=("平均名次", "Borda 得分")))
        elif q.type is QuestionType.NUMBER:
            hours = rng.gamma(2.0, 3.0, N)
            bands = ["0 小时", "1–5 小时", "6–10 小时", "11–20 小时", "20 小时以上"]
            counts = np.histogram(hours, bins=[0, 0.5, 5.5, 10.5, 20.5, np.inf])[0]
            questions.append(QuestionResult(code, title, kind, N, _rows(bands, counts, N)))
        else:
            answered = int(rng.integers(500, 3000))
            texts = tuple(f"希望工会多组织{t}活动" for t in ("读书", "亲子", "健步走")) if q.type is QuestionType.SHORT_TEXT else ()
            questions.append(QuestionResult(code, title, kind, answered, chart=ChartKind.NONE, other_texts=texts,
                                            note=f"共 {answered} 条填写，全文见导出数据。"))
    breakdowns = []
    service_labels, ticks = services
    for variable, (groups, answers) in demographic.items():
        table = np.array([[ticks[answers == g, i].sum() for g in range(len(groups))] for i in range(len(service_labels))])
        sizes = np.bincount(answers, minlength=len(groups))
        test = crosstab_test(table)
        residuals = test.adjusted_residuals
        cells = tuple(
            tuple(BreakdownCell(None, None) if sizes[g] < K else
                  BreakdownCell(int(table[i, g]), table[i, g] / sizes[g], float(residuals[i, g]))
                  for g in range(len(groups)))
            for i in range(len(service_labels))
        )
        breakdowns.append(Breakdown(variable, "您希望工会为您提供哪些服务？", tuple(groups),
                                    tuple(int(s) if s >= K else None for s in sizes), tuple(service_labels), cells,
                                    float(test.statistic), int(test.dof), float(test.pvalue), float(test.cramers_v)))
    sub_districts = [o.label.zh for o in spec.question("sub_district").options]
    participation = []
    for u in range(330):
        members = int(rng.integers(20, 400))
        responses = int(rng.binomial(members, rng.uniform(0.2, 0.95)))
        target = 0.6 if u % 3 else None
        participation.append(ParticipationRow(
            f"{sub_districts[u % len(sub_districts)]}第{u // len(sub_districts) + 1}工会联合会",
            sub_districts[u % len(sub_districts)], members, responses if responses >= K else None,
            responses / members if responses >= K else None, target,
            None if target is None else responses >= np.ceil(target * members)))
    appendix = tuple(
        AppendixSection(section.title.zh, tuple(
            AppendixQuestion(f"Q{i}", q.title.zh, KINDS[q.type],
                             tuple(o.label.zh for o in q.options) or tuple(r.label.zh for r in q.rows))
            for i, q in ((list(spec.questions()).index(q) + 1, q) for q in section.questions)))
        for section in spec.sections
    )
    need_labels, need_counts = needs
    return NeedsReportData(
        title="2016年西城区职工需求调查分析报告", questionnaire=spec.title.zh, organisation="西城区总工会",
        period="2016年", fieldwork="2016-05-03 至 2016-06-30", sample_size=N, response_rate=0.412, members=48_500,
        generated_at="2016-07-01 09:00", top_needs=_findings(need_labels, need_counts, N),
        top_services=_findings(service_labels, ticks.sum(axis=0), N), questions=tuple(questions),
        breakdowns=tuple(breakdowns), participation=tuple(participation),
        participation_total=ParticipationRow("合计", "", 48_500, N, 0.412, None, None), appendix=appendix,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", help="also write the PDF here")
    args = parser.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    data_times, build_times = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        data = make_data()
        data_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        pdf = build_needs_report(data)
        build_times.append(time.perf_counter() - start)
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(f"{len(data.questions)} questions, {len(data.breakdowns)} breakdowns, {len(data.participation)} units, "
          f"{len(pdf) / 1024:.0f} KiB, about {pages} pages")
    print(f"data (statistics)  median {statistics.median(data_times):.3f} s  min {min(data_times):.3f} s")
    print(f"PDF build          median {statistics.median(build_times):.3f} s  min {min(build_times):.3f} s  "
          f"(target for the whole report: under 5 s)")
    if args.out:
        with open(args.out, "wb") as out:
            out.write(pdf)


if __name__ == "__main__":
    main()
