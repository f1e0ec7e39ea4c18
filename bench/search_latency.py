"""Search latency on the shipped FAQ index and on a synthetic index of 10,000 entries.

Run: .venv/bin/python bench/search_latency.py
Targets (issue 3): p95 under 2 ms on the shipped index and under 15 ms on 10,000 entries.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq_index.evaluate import load_dev_set  # noqa: E402
from faq_index.index import build_index  # noqa: E402
from faq_index.search import FaqSearcher  # noqa: E402

WORDS = (
    "account api archive billing campaign carrier certificate connection customer dashboard delivery downtime "
    "email gateway handset invoice maintenance message migration mobile network number omni outage password "
    "payment phase platform porting portal pricing queue receipt reminder report rollback schedule service "
    "shortcode status support team traffic upgrade user web window"
).split()


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def write_synthetic_documents(folder: Path, entries: int, per_document: int = 100) -> None:
    """Distinct documents (each with its own product vocabulary, so none is a near-duplicate of another)."""
    rng = random.Random(7)
    for doc in range(entries // per_document):
        vocabulary = WORDS + [pseudo_word(rng) for _ in range(400)]
        lines = [f"# Synthetic FAQ {doc}", ""]
        for n in range(per_document):
            topic = " ".join(rng.sample(vocabulary, 5))
            lines += [
                f"## How does the {topic} work?",
                "",
                " ".join(rng.choice(vocabulary) for _ in range(40)) + ".",
                "",
            ]
        (folder / f"synthetic_{doc:03d}.md").write_text("\n".join(lines))


def measure(searcher: FaqSearcher, queries: list[str], rounds: int) -> tuple[float, float, float]:
    for query in queries[:5]:
        searcher.search(query)  # warm caches
    timings = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            searcher.search(query)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)], timings[-1]


def main() -> None:
    queries = [item.text for item in load_dev_set(ROOT / "tests" / "data" / "faq_dev.yml")]
    with tempfile.TemporaryDirectory() as tmp:
        shipped_db = Path(tmp) / "shipped.db"
        build_index(ROOT / "data" / "faq", shipped_db)
        p50, p95, worst = measure(FaqSearcher(shipped_db), queries, rounds=20)
        print(
            f"shipped index (25 entries), {len(queries) * 20} searches: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms"
        )

        synthetic = Path(tmp) / "synthetic"
        synthetic.mkdir()
        write_synthetic_documents(synthetic, 10_000)
        start = time.perf_counter()
        report = build_index(synthetic, Path(tmp) / "synthetic.db", embed=False)  # lexical search is measured here
        built = time.perf_counter() - start
        searcher = FaqSearcher(Path(tmp) / "synthetic.db")
        p50, p95, worst = measure(searcher, queries, rounds=3)
        print(
            f"synthetic index ({report.entries} entries, built in {built:.1f} s), {len(queries) * 3} searches: "
            f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms"
        )


if __name__ == "__main__":
    main()
