"""``python -m bench [--accounts N]``: run every benchmark in ``bench/`` and print the tables."""

from __future__ import annotations

import sys

from bench import bench_planning


def main(argv: list[str] | None = None) -> int:
    return bench_planning.main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
