"""What every benchmark does with its report: print it, and keep it unless it was a quick run."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def publish(text: str, out: Path | None) -> None:
    """Print ``text``; write it to ``out`` (a file under ``bench/results/``) unless ``None``."""
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
