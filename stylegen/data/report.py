"""The table ``stylegen data`` prints."""

from __future__ import annotations

from stylegen.config import Recipe
from stylegen.data.dataset import SPLITS, Corpus, item_bars, style_counts, window_index, window_steps


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_data_report(corpus: Corpus, recipe: Recipe, show_skipped: bool = False) -> str:
    spec = corpus.spec
    head = ["style", "found", "used", "skipped", "train", "val", "test", "win train", "win val", "win test",
            "beats", "notes", "out of range", "cache"]
    rows = [head]
    T = window_steps(recipe)
    item = window_steps(item_bars(recipe), spec.resolution)  # what training reads: context + window
    counts = {s: style_counts(corpus, window_index(corpus, s, item, recipe.data.hop_bars)) for s in SPLITS}
    for si, style in enumerate(corpus.styles):
        r = corpus.reports[style]
        per_split = {s: sum(1 for p in corpus.pieces if p.style == si and p.split == s) for s in ("train", "val", "test")}
        rows.append([style, str(r.found), str(r.used), str(sum(r.skipped.values())),
                     str(per_split["train"]), str(per_split["val"]), str(per_split["test"]),
                     str(counts["train"][si]), str(counts["val"][si]), str(counts["test"][si]),
                     f"{r.beats:,.0f}", f"{r.notes:,}", f"{r.out_of_range:,}",
                     "hit" if r.cache_hit else "miss (read)"])
    out = [f"roll: {spec.resolution} steps/beat, pitches {spec.lowest_pitch}-{spec.highest_pitch} "
           f"({spec.n_pitches}), channels {'+'.join(spec.channels)}, window {T} steps "
           f"(+ {item - T} of context: training items of {item} steps)",
           "", _table(rows), ""]
    any_skip = False
    for style in corpus.styles:
        r = corpus.reports[style]
        if r.skipped:
            any_skip = True
            reasons = ", ".join(f"{reason} {n}" for reason, n in r.skipped.most_common())
            out.append(f"skipped in {style}: {reasons}")
            if show_skipped:
                for f, why in r.skipped_files:
                    out.append(f"    {f}: {why}")
    if not any_skip:
        out.append("skipped: none")
    elif not show_skipped:
        out.append("(--show-skipped lists each file and its reason)")
    seconds = max(corpus.reports[s].seconds for s in corpus.styles)
    out.append(f"cache: {corpus.cache_dir} ({seconds:.1f} s)")
    hits = [s for s in corpus.styles if corpus.reports[s].cache_hit]
    if hits:
        out.append(f"cache hit for {', '.join(hits)}: nothing was read again")
    return "\n".join(out)
