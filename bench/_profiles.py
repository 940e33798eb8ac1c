"""The top of a py-spy profile, for the benchmarks' reports and docs/performance.md."""

from __future__ import annotations

from pathlib import Path


def profile_top(collapsed: Path, lines: int = 15) -> list[str]:
    """From py-spy's collapsed stacks (`--format raw`): the functions with the most
    samples on their own (self) and with them on the stack (total), in percent."""
    own: dict[str, int] = {}
    under: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            continue
        count = int(count_text)
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            under[frame] = under.get(frame, 0) + count
    out = [f"{total} samples; self% total%  function (file:line)"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:lines]:
        out.append(f"{100 * count / total:5.1f} {100 * under[frame] / total:6.1f}  {frame}")
    return out
