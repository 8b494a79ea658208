#!/usr/bin/env python3
"""Summarise an sfn-oracle report.json (written by the LocalStack conformance harness).

    scripts/conformance_summary.py [REPORT.json] [--all-failures] [--max-reason N]

Prints a markdown table of outcomes per category, then every failing test with a
one-line reason. Standard library only; any Python 3.8+ works.
"""
import json
import re
import sys

OUTCOMES = ("passed", "failed", "error", "skipped", "selected")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line_reason(message, width):
    """Pick the most telling line out of a (possibly truncated) pytest failure text."""
    text = ANSI.sub("", message or "")
    lines = [l.rstrip() for l in text.splitlines() if l.strip()]
    reason = None
    diff_re = re.compile(r"^\((-|\+|~)\)|^\?\s")
    keys = [i for i, l in enumerate(lines) if l.lstrip().startswith(">> match key:")]
    diffs = [l.strip() for l in lines if diff_re.match(l.strip())]
    if keys:
        # Snapshot mismatch: ">> match key: <key>" followed by diff lines.
        i = keys[0]
        key = lines[i].split(":", 1)[1].strip()
        first = next((l.strip() for l in lines[i + 1:] if diff_re.match(l.strip())), "mismatch")
        more = f" (+{len(keys) - 1} more keys)" if len(keys) > 1 else ""
        reason = f"snapshot '{key}': {first}{more}"
    elif diffs:
        # the failure text is cut to its last 2000 chars: the key line may be gone
        reason = f"snapshot: {diffs[0]} (+{len(diffs) - 1} more diffs)" if len(diffs) > 1 else f"snapshot: {diffs[0]}"
    elif re.search(r"Failed: Timeout", text):
        reason = "timeout: " + next((l.strip().lstrip("E").strip() for l in lines if "Timeout" in l), "")
    else:
        # the "E   ..." lines of a short traceback hold the exception
        errs = [l[1:].strip() for l in lines if l.startswith("E ")]
        if errs:
            first = next((i for i, l in enumerate(errs) if re.match(r"^[\w.]+(Error|Exception|Failed|Timeout)\b|^[\w.]+: ", l)), 0)
            reason = errs[first]
        elif lines:
            reason = lines[-1].strip()
    reason = re.sub(r"\s+", " ", reason or "(no message)")
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def main(argv):
    path, show_all, width = "sfn-oracle-results/report.json", False, 220
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--all-failures":
            show_all = True
        elif a == "--max-reason":
            width = int(args.pop(0))
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            path = a
    try:
        with open(path) as fh:
            report = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"conformance_summary: cannot read {path}: {e}", file=sys.stderr)
        return 2

    cats = report.get("by_category", {})
    cols = [o for o in OUTCOMES if any(c.get(o) for c in cats.values())] or ["passed", "failed", "skipped"]
    print(f"| category | {' | '.join(cols)} | total |")
    print("|---" * (len(cols) + 2) + "|")
    tot = {o: 0 for o in cols}
    for name, c in sorted(cats.items()):
        row = [c.get(o, 0) for o in cols]
        for o, n in zip(cols, row):
            tot[o] += n
        print(f"| {name} | {' | '.join(map(str, row))} | {sum(c.values())} |")
    print(f"| **total** | {' | '.join(str(tot[o]) for o in cols)} | {sum(tot.values())} |")

    failing = [(k, t) for k, t in report.get("tests", {}).items() if t.get("outcome") in ("failed", "error")]
    if failing:
        print(f"\n### Failing tests ({len(failing)})\n")
        limit = None if show_all else 400
        for nodeid, t in failing[:limit]:
            short = nodeid.split("stepfunctions/v2/", 1)[-1]
            tag = " [error]" if t["outcome"] == "error" else ""
            print(f"- `{short}`{tag}: {one_line_reason(t.get('message'), width)}")
        if limit and len(failing) > limit:
            print(f"- … {len(failing) - limit} more (use --all-failures)")
    totals = report.get("totals", {})
    print(
        f"\nsfn-oracle: {totals.get('passed', 0)} passed, "
        f"{totals.get('failed', 0) + totals.get('error', 0)} failed, {totals.get('skipped', 0)} skipped"
        + (f", {totals['selected']} selected (collect-only)" if totals.get("selected") else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
