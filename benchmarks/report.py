"""Turn benchmark results into the targets verdict, a Markdown table and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# scenario -> (title, unit); the order is the table's and the chart's.
SCENARIOS: dict[str, tuple[str, str]] = {
    "stream": ("Streaming 2,000 chunks: client CPU per chunk", "µs"),
    "invoke": ("200 sequential invokes: client CPU per request", "µs"),
    "concurrent": ("256 concurrent ainvoke, 50 ms latency: wall time", "ms"),
    "import": ("Import time in a fresh interpreter (CPU)", "ms"),
    "memory": ("Peak traced memory while streaming 2,000 chunks", "KiB"),
}
COMPETITORS = ("sambanova", "openai")
_COLORS = {
    "ours": "#2a6fdb",
    "floor": "#9aa0a6",
    "fake": "#c4c8cc",
    "minimal": "#6b7075",
    "sambanova": "#f29d38",
    "openai": "#3aa876",
}


def _median(scenario: dict[str, Any], client: str) -> float | None:
    entry = scenario.get(client)
    return entry.get("median") if isinstance(entry, dict) else None


def evaluate_targets(scenarios: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Check the speed targets (issues 6, 18); ``met`` is None when data is missing."""
    targets = []

    def add(name: str, ours: float | None, bound: float | None, strict: bool) -> None:
        met = None
        if ours is not None and bound is not None:
            met = ours < bound if strict else ours <= bound
        targets.append({"target": name, "ours": ours, "bound": bound, "met": met})

    def best_competitor(scenario: str) -> float | None:
        values = [_median(scenarios.get(scenario, {}), c) for c in COMPETITORS]
        values = [v for v in values if v is not None]
        return min(values) if len(values) == len(COMPETITORS) else None

    stream = scenarios.get("stream", {})
    best = best_competitor("stream")
    add(
        "stream CPU/chunk <= 0.5 x best competitor",
        _median(stream, "ours"),
        best * 0.5 if best else None,
        strict=False,
    )
    floor, fake = _median(stream, "floor"), _median(stream, "fake")
    add(
        "stream CPU/chunk <= 1.5 x (floor + LangChain fixed cost)",
        _median(stream, "ours"),
        1.5 * (floor + fake) if floor is not None and fake is not None else None,
        strict=False,
    )
    add(
        "stream CPU/chunk <= 1.10 x minimal LangChain model over httpx",
        _median(stream, "ours"),
        1.10 * minimal if (minimal := _median(stream, "minimal")) else None,
        strict=False,
    )
    add(
        "invoke CPU/request < best competitor",
        _median(scenarios.get("invoke", {}), "ours"),
        best_competitor("invoke"),
        strict=True,
    )
    add(
        "concurrent wall <= best competitor",
        _median(scenarios.get("concurrent", {}), "ours"),
        best_competitor("concurrent"),
        strict=False,
    )
    best = best_competitor("import")
    add(
        "import time <= 0.5 x best competitor",
        _median(scenarios.get("import", {}), "ours"),
        best * 0.5 if best else None,
        strict=False,
    )
    return targets


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _cell(scenario: dict[str, Any], client: str) -> str:
    entry = scenario.get(client)
    if entry is None:
        return "n/a"
    if "error" in entry:
        return "BROKEN"
    text = f"{_fmt(entry['median'])} ({_fmt(entry['min'])}–{_fmt(entry['max'])})"
    ours = _median(scenario, "ours")
    if ours:
        text += f" ×{entry['median'] / ours:.2f}"
    return text


def render_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: table, floor sums, targets, import breakdown."""
    meta = results["meta"]
    scenarios = results["scenarios"]
    names = [s for s in SCENARIOS if s in scenarios]
    lines = [
        "# Client overhead benchmark",
        "",
        f"{meta['date']}; Python {meta['python']}, {meta['cpus']} CPUs, "
        f"server: {meta['server']}, {meta['rounds']} rounds "
        f"(fresh process per client per measurement, interleaved).",
        "Each cell: median (min–max) ×ratio to langchain-provider. Lower is better.",
        "",
        "| client | "
        + " | ".join(f"{SCENARIOS[s][0]} ({SCENARIOS[s][1]})" for s in names)
        + " |",
        "|---|" + "---|" * len(names),
    ]
    for client, label in meta["labels"].items():
        cells = [_cell(scenarios[s], client) for s in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    sums = []
    for scenario in ("stream", "invoke"):
        data = scenarios.get(scenario, {})
        floor, fake, ours = (_median(data, c) for c in ("floor", "fake", "ours"))
        unit = SCENARIOS[scenario][1]
        if None not in (floor, fake, ours):
            sums.append(
                f"- {scenario}: floor + LangChain fixed cost = "
                f"{_fmt(floor + fake)} {unit}; ours is "
                f"×{ours / (floor + fake):.2f} of it."
            )
        minimal = _median(data, "minimal")
        if None not in (minimal, ours):
            sums.append(
                f"- {scenario}: minimal LangChain model over httpx = "
                f"{_fmt(minimal)} {unit}; ours is ×{ours / minimal:.2f} of it."
            )
    if sums:
        lines += ["", *sums]
    lines += [
        "",
        "## Targets (issues 6 and 18)",
        "",
        "| target | ours | bound | met |",
        "|---|---|---|---|",
    ]
    for target in results["targets"]:
        ours, bound = target["ours"], target["bound"]
        met = {True: "yes", False: "**no**", None: "n/a"}[target["met"]]
        lines.append(
            f"| {target['target']} | {_fmt(ours) if ours is not None else '-'} | "
            f"{_fmt(bound) if bound is not None else '-'} | {met} |"
        )
    breakdown = results.get("import_breakdown")
    if breakdown:
        added = breakdown["added_cpu_ms"]
        modules = ", ".join(
            f"{name} ({count})" if count > 1 else name
            for name, count in breakdown["added_modules"].items()
        )
        lines += [
            "",
            "## What importing ours adds to langchain-core's BaseChatModel",
            "",
            f"CPU time of `{'from langchain_provider import ChatSambaNova'}` in an "
            "interpreter that already imported `BaseChatModel`: "
            f"{_fmt(added['median'])} ms ({_fmt(added['min'])}–"
            f"{_fmt(added['max'])}). Modules it adds (count): {modules}.",
        ]
    for scenario, errors in results.get("errors", {}).items():
        for client, error in errors.items():
            lines.append(f"\nBROKEN {client}/{scenario}: {error}")
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    lines += ["", f"Versions: {versions}.", ""]
    return "\n".join(lines)


def write_chart(results: dict[str, Any], path: Path) -> None:
    """Horizontal bars per scenario, median with min–max whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = results["meta"]["labels"]
    scenarios = results["scenarios"]
    names = [s for s in SCENARIOS if s in scenarios]
    columns = 3
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(16, 3.6 * rows), squeeze=False)
    for ax, scenario in zip(axes.flat, names, strict=False):
        title, unit = SCENARIOS[scenario]
        data = scenarios[scenario]
        clients = [
            c for c in labels if isinstance(data.get(c), dict) and "median" in data[c]
        ]
        medians = [data[c]["median"] for c in clients]
        low = [data[c]["median"] - data[c]["min"] for c in clients]
        high = [data[c]["max"] - data[c]["median"] for c in clients]
        y = range(len(clients))
        ax.barh(
            y,
            medians,
            xerr=[low, high],
            capsize=3,
            color=[_COLORS.get(c, "#888") for c in clients],
        )
        ax.set_yticks(list(y), [labels[c] for c in clients], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"{unit} (lower is better)", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ours = _median(data, "ours")
        bars = zip(clients, medians, high, strict=True)
        for i, (client, value, up) in enumerate(bars):
            note = _fmt(value)
            if ours and client != "ours":
                note += f"  ×{value / ours:.2f}"
            ax.text(value + up, i, "  " + note, va="center", fontsize=7.5)
        ax.set_xlim(0, max(m + h for m, h in zip(medians, high, strict=True)) * 1.35)
        missing = [labels[c] for c in labels if data.get(c) is None]
        if missing:
            ax.text(
                0.99,
                0.02,
                "n/a: " + ", ".join(missing),
                transform=ax.transAxes,
                ha="right",
                fontsize=7,
                color="#666",
            )
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
        met = results.get("targets", [])
        marks = {True: "✓", False: "✗", None: "·"}
        text = "\n".join(
            f"{marks[t['met']]} " + t["target"].replace(" <", "\n     <") for t in met
        )
        ax.text(0, 1.0, "Targets (issues 6 and 18)\n\n" + text, va="top", fontsize=8.5)
        break
    meta = results["meta"]
    fig.suptitle(
        f"langchain-provider client overhead vs alternatives — median of "
        f"{meta['rounds']} rounds, whiskers min–max, ×ratio to ours "
        f"(Python {meta['python']}, {meta['cpus']} CPUs, loopback {meta['server']})",
        fontsize=10.5,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
