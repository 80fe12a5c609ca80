#!/usr/bin/env python3
"""Development analysis (issue 15, docs/proof-dev): reads hapsContextProbe's CURVE files (one line per validation with
each validation and test item's quality under the live weights, and optionally the averaged weights') and prints, per
seed, the held-out context accuracy each checkpoint-selection rule would have kept.

  python3 scripts/contextCurve.py /tmp/p4/base-1.curve.jsonl /tmp/p4/base-101.curve.jsonl ...
"""
import json, sys
from collections import Counter

def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")

def select(scores, patience, smooth=1):
    """tieKeepsLater with patience on `scores` (optionally the mean of the last `smooth` scores): index kept."""
    best, kept, since = -1e9, 0, 0
    for i in range(len(scores)):
        s = mean(scores[max(0, i - smooth + 1): i + 1])
        if s > best + 1e-12:
            best, kept, since = s, i, 0
        elif abs(s - best) <= 1e-12:
            kept, since = i, since + 1
        else:
            since += 1
        if since >= patience:
            break
    return kept, i

def analyse(path):
    lines = [json.loads(l) for l in open(path)]
    head, pts = lines[0], lines[1:]
    vg, tg = head["validGroups"], head["testGroups"]
    ctx_t = [i for i, g in enumerate(tg) if g == "context"]
    ctx_v = [i for i, g in enumerate(vg) if g == "context"]
    # Halves of the test split for the "bigger validation" simulation: alternate items of each group.
    halves = ([], [])
    seen = Counter()
    for i, g in enumerate(tg):
        halves[seen[g] % 2].append(i); seen[g] += 1
    tctx = lambda p, key="test", idx=ctx_t: mean([p[key][i] for i in idx])
    out = {"seed": head["seed"], "points": len(pts)}
    curve = [(p["items"], round(mean(p["valid"]), 3), round(tctx(p), 3)) for p in pts]
    out["curve(items,valid,testCtx)"] = curve
    v = [mean(p["valid"]) for p in pts]
    rules = {}
    for pat in (6, 8, 20):
        k, stop = select(v, pat); rules[f"tieLater p{pat}"] = (pts[k]["items"], pts[stop]["items"], round(tctx(pts[k]), 3))
        k, stop = select(v, pat, 3); rules[f"smooth3 p{pat}"] = (pts[k]["items"], pts[stop]["items"], round(tctx(pts[k]), 3))
        k, stop = select(v, pat, 2); rules[f"smooth2 p{pat}"] = (pts[k]["items"], pts[stop]["items"], round(tctx(pts[k]), 3))
    rules["last"] = (pts[-1]["items"], pts[-1]["items"], round(tctx(pts[-1]), 3))
    rules["oracle max"] = max(((p["items"], None, round(tctx(p), 3)) for p in pts), key=lambda x: x[2])
    # Bigger validation: validation + test half A selects, test half B judges (and the other way round).
    for a, b in ((0, 1), (1, 0)):
        big = [mean(p["valid"] + [p["test"][i] for i in halves[a]]) for p in pts]
        bctx = [i for i in halves[b] if tg[i] == "context"]
        for pat in (6, 20):
            k, stop = select(big, pat)
            rules[f"bigValid{a} p{pat} (judged on half {b})"] = (pts[k]["items"], pts[stop]["items"], round(mean([pts[k]["test"][i] for i in bctx]), 3), "plain rule on that half:", round(mean([pts[select(v, pat)[0]]["test"][i] for i in bctx]), 3))
    if any("avg" in p for p in pts):
        av = [mean(p["avg"]["valid"]) if "avg" in p else -1 for p in pts]
        for pat in (6, 20):
            k, stop = select(av, pat)
            rules[f"avg{pts[-1]['avg']['k']} weights, tieLater p{pat}"] = (pts[k]["items"], pts[stop]["items"], round(tctx(pts[k]["avg"]) if "avg" in pts[k] else float("nan"), 3))
        out["avgCurve(items,valid,testCtx)"] = [(p["items"], round(mean(p["avg"]["valid"]), 3), round(tctx(p["avg"]), 3)) for p in pts if "avg" in p]
    out["rules (kept at, stopped at, test ctx)"] = rules
    # Which Students answer the context test items, per point.
    out["ctxStudents"] = [(p["items"], dict(Counter(p["testAssign"][i].split("/")[1] for i in ctx_t))) for p in pts]
    return out

for f in sys.argv[1:]:
    r = analyse(f)
    print(f"== {f}")
    for k, val in r.items():
        if isinstance(val, dict):
            print(f"  {k}:")
            for kk, vv in val.items(): print(f"    {kk}: {vv}")
        else:
            print(f"  {k}: {val}")
