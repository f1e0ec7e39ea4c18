"""How much the bot's figures move with the training seed: `helpdesk eval --seeds N` (bot/answers/evaluation.py:
evaluate_seeds) under the name this benchmark always had. The same data and pipeline are trained with several
seeds in temporary copies of the project (its own models and caches untouched), each model is run as
`make run` runs it, and both evaluation sets are scored.

Run: .venv/bin/python bench/eval_seeds.py [N] [--json]   (default 5 seeds: 42 1 2 3 7; about 3 minutes a seed)
"""

from __future__ import annotations

import sys

from bot.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    count = next((arg for arg in args if arg.isdigit()), "5")
    sys.exit(main(["eval", "--seeds", count, *(arg for arg in args if not arg.isdigit())]))
