"""End-to-end demos, each a function that takes its settings and returns its results; they parse nothing.

The command line (`__main__.py`) and the notebooks call them: house_prices.run_house_prices (the main job),
predict.predict_report, fine_tuning.run_fine_tuning_demo, attention.run_attention_demo, moons.train_moons.
What they share lives here: the text tables they print.
"""

from collections.abc import Sequence

__all__ = ["format_table"]


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    aligns: str,
    widths: Sequence[int] | None = None,
    rule: bool = False,
    indent: str = "",
) -> str:
    """Headers and rows as lines of text: column i left- ('<') or right-aligned ('>') in widths[i] characters.

    Columns are two spaces apart; without `widths` each is as wide as its widest cell, and a cell wider than
    its column pushes the rest of its line right rather than being cut. rule=True underlines the headers
    with dashes; `indent` starts every line.
    """
    if widths is None:
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    if not len(headers) == len(aligns) == len(widths) or set(aligns) - {"<", ">"}:
        raise ValueError(
            f"format_table needs one alignment ('<' or '>') and one width per column: {len(headers)} headers, "
            f"aligns {aligns!r}, {len(widths)} widths"
        )
    lines = []
    for row in [headers, *rows]:
        cells = [f"{str(cell):{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True)]
        lines.append((indent + "  ".join(cells)).rstrip())
    if rule:
        lines.insert(1, indent + "  ".join("-" * width for width in widths))
    return "\n".join(lines)
