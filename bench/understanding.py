"""Benchmark: how long the understanding step takes to read one citizen message, over the
corpus of phrasings in tests/data/understanding-corpus.yaml (the target is a median of 1 ms or
less per message on the project machine).

    .venv/bin/python -m bench.understanding [--rounds 20]

Reports the time to build Understanding (once, at start-up), a first pass over the corpus on a
fresh instance (every word met for the first time), and the steady state over several rounds
(what a running bot sees), with the machine, date and versions the figures belong to.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import yaml

from bench.environment import describe
from dialogs.catalog import load_catalog
from dialogs.understanding import Understanding

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "understanding-corpus.yaml"


def _texts() -> list[str]:
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [item["text"] for section in ("phrases", "held_out") for item in corpus.get(section) or []]


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1e3, "p99_ms": p99 * 1e3, "max_ms": ordered[-1] * 1e3,
            "messages": len(ordered)}


def _timed_pass(understanding: Understanding, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        understanding.read(text)
        times.append(time.perf_counter() - start)
    return times


def run(rounds: int) -> dict[str, object]:
    texts = _texts()
    catalog = load_catalog()
    start = time.perf_counter()
    understanding = Understanding(catalog)
    build_ms = (time.perf_counter() - start) * 1e3
    first = _timed_pass(understanding, texts)
    steady = [t for _ in range(rounds) for t in _timed_pass(understanding, texts)]
    return {
        **describe("rapidfuzz", "pydantic", "PyYAML"),
        "corpus_messages": len(texts),
        "build_ms": round(build_ms, 1),
        "first_pass": {k: round(v, 4) for k, v in _summary(first).items()},
        "steady_state": {**{k: round(v, 4) for k, v in _summary(steady).items()}, "rounds": rounds},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus for the steady state")
    result = run(parser.parse_args().rounds)
    steady, first = result["steady_state"], result["first_pass"]
    assert isinstance(steady, dict) and isinstance(first, dict)
    print(f"understanding: median {steady['median_ms']:.3f} ms, p99 {steady['p99_ms']:.3f} ms per message "
          f"(steady state, {steady['messages']} reads); first pass median {first['median_ms']:.3f} ms, "
          f"p99 {first['p99_ms']:.3f} ms; built in {result['build_ms']} ms")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
