"""Sum up a py-spy profile of a benchmark server (BENCH_PROFILE, bench/servers.py):
the share of samples in which each of the site's functions is on the stack, and
the share each function spends itself.

    python -m bench.profile <file> [--top 30] [--match rooms/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# "function (path/to/file.py:line)" in a collapsed stack, made short.
FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>.+?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for root in ("site-packages/", "lib/python3"):
        if root in path:
            path = path.split(root, 1)[1]
    return f"{match['function']} ({'/'.join(path.split('/')[-2:])})"


def summarize(text: str, top: int, match: str) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [frame_name(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += samples
        own[frames[-1]] += samples
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "on the stack:"]
    for name, samples in inclusive.most_common():
        if match in name:
            lines.append(f"{100 * samples / total:5.1f}%  {name}")
            if len(lines) > top + 3:
                break
    lines += ["", "own time:"]
    for name, samples in own.most_common(top):
        lines.append(f"{100 * samples / total:5.1f}%  {name}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only stack lines containing this")
    args = parser.parse_args()
    print(summarize(Path(args.file).read_text(), args.top, args.match))


if __name__ == "__main__":
    main()
