"""The evaluation report as one self-contained HTML page: figures, per-class table, confusion matrix."""

from __future__ import annotations

from html import escape

from .ml import Evaluation

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.fig{font-size:1.3em;margin-right:2em}
td.d{font-weight:bold;background:#e8f3e8}
"""


def _cell(n: int, row_total: int, diagonal: bool) -> str:
    if diagonal:
        return f'<td class="d">{n}</td>'
    share = n / row_total if row_total else 0.0
    shade = f' style="background:rgba(220,60,60,{min(0.85, share * 1.5):.2f})"' if n else ""
    return f"<td{shade}>{n or ''}</td>"


def render_html(
    evaluation: Evaluation, *, title: str, command: str = "", names: dict[str, str] | None = None
) -> str:
    names = names or {}
    labels = evaluation.labels
    rows = []
    for m in evaluation.per_class():
        rows.append(
            f'<tr><td class="l">{escape(m.label)}</td><td class="l">{escape(names.get(m.label, ""))}</td>'
            f"<td>{m.precision:.3f}</td><td>{m.recall:.3f}</td><td>{m.f1:.3f}</td><td>{m.support}</td></tr>"
        )
    head = "".join(f"<th>{escape(label)}</th>" for label in labels)
    matrix = []
    for i, (label, counts) in enumerate(zip(labels, evaluation.confusion(), strict=True)):
        total = sum(counts)
        cells = "".join(_cell(n, total, i == j) for j, n in enumerate(counts))
        matrix.append(f'<tr><th class="l">{escape(label)}</th>{cells}</tr>')
    dropped = (
        f"<p>Left out (fewer rows than the minimum per class): {escape(str(evaluation.dropped))}</p>"
        if evaluation.dropped
        else ""
    )
    how = f"{evaluation.folds}-fold stratified cross-validation" if evaluation.folds else "held-out test set"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p>{len(evaluation.y_true)} rows, {len(set(evaluation.y_true))} classes, {how}.</p>{dropped}
<p><span class="fig">macro-F1 <b>{evaluation.macro_f1:.3f}</b></span>
<span class="fig">weighted F1 <b>{evaluation.weighted_f1:.3f}</b></span>
<span class="fig">accuracy <b>{evaluation.accuracy:.3f}</b></span></p>
{f"<p><code>{escape(command)}</code></p>" if command else ""}
<h2>Per class</h2>
<table><tr><th class="l">class</th><th class="l">name</th><th>precision</th><th>recall</th><th>F1</th>
<th>support</th></tr>
{"".join(rows)}
</table>
<h2>Confusion matrix</h2>
<p>Rows: true class; columns: predicted. Off-diagonal cells are shaded by their share of the row.</p>
<table><tr><th></th>{head}</tr>
{"".join(matrix)}
</table>
</body></html>
"""
