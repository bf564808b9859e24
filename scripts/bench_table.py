#!/usr/bin/env python3
"""scripts/bench_table.py — turns the raw lines of scripts/bench.sh into markdown tables, reel beside LibTorch.

Input: the lines the bench programs print (bench/bench_common.h), each prefixed by bench.sh with the side that
printed it, the repeat and the load average it ran under:

  impl=reel repeat=2 load=0.84 bench=W1 figure=forward_tape_ns_per_op value=202 unit=ns ... threads=2

Every run gives one value per figure (the program's own median over its inner repeats). Across the runs of one
side this prints, per figure, one markdown table with a row per setting (threads, n, mode): median, min, max and
the number of runs for each library, and the ratio of the medians reel / LibTorch. A figure whose name starts
with reel_ or torch_ is paired by the rest of its name (reel_matmul_gflops beside torch_matmul_gflops); a figure
only one side has (dnnl_sgemm_gflops, torch_mm_out_gflops) gets a table with the other side empty.

  python3 scripts/bench_table.py results.txt          (or the lines on standard input)
"""
import collections
import statistics
import sys

SETTING_KEYS = ("threads", "n", "mode", "device", "conv", "workers")  # what tells rows of one figure apart
SIDES = ("reel", "libtorch")
HIGHER_IS_BETTER = ("GFLOP/s", "trees/s", "fraction")


def parse_line(line):
    fields = {}
    for token in line.split():
        key, sep, value = token.partition("=")
        if sep:
            fields[key] = value
    if "bench" not in fields or "figure" not in fields or "impl" not in fields:
        return None
    return fields


def paired_name(figure):
    for prefix in ("reel_", "torch_"):
        if figure.startswith(prefix):
            return figure[len(prefix):]
    return figure


def number(text):
    return f"{text:.4g}" if isinstance(text, float) else str(text)


def summarize(values):
    if not values:
        return ["", "", "", "0"]
    return [number(statistics.median(values)), number(min(values)), number(max(values)), str(len(values))]


def tables(lines):
    # (workload, figure) -> setting -> side -> [values]
    runs = collections.OrderedDict()
    units = {}
    names = collections.defaultdict(dict)
    loads = []
    for line in lines:
        fields = parse_line(line)
        if fields is None or fields.get("quick") == "1":
            continue
        key = (fields["bench"], paired_name(fields["figure"]))
        names[key][fields["impl"]] = fields["figure"]
        units[key] = fields.get("unit", "")
        setting = tuple((k, fields[k]) for k in SETTING_KEYS if k in fields)
        runs.setdefault(key, collections.OrderedDict()).setdefault(setting, collections.defaultdict(list))
        runs[key][setting][fields["impl"]].append(float(fields["value"]))
        if "load" in fields and fields["figure"] not in ("peak_rss_mib",):
            loads.append(float(fields["load"]))

    out = []
    if loads:
        out.append(f"Load average (1 min) at the start of the runs: median {statistics.median(loads):.2f}, "
                   f"min {min(loads):.2f}, max {max(loads):.2f}.\n")
    for (workload, figure), settings in sorted(runs.items(), key=lambda item: (item[0][0], list(runs).index(item[0]))):
        unit = units[(workload, figure)]
        shown = " / ".join(f"{side}: `{names[(workload, figure)][side]}`" for side in SIDES
                           if side in names[(workload, figure)])
        better = "higher is better" if unit in HIGHER_IS_BETTER else "lower is better"
        out.append(f"### {workload} {figure} ({unit}, {better}; {shown})\n")
        out.append("| setting | reel median | min | max | runs | LibTorch median | min | max | runs | reel / LibTorch |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for setting, by_side in settings.items():
            label = " ".join(f"{k}={v}" for k, v in setting) or "-"
            reel, torch = by_side.get("reel", []), by_side.get("libtorch", [])
            ratio = ""
            if reel and torch and statistics.median(torch) != 0:
                ratio = f"{statistics.median(reel) / statistics.median(torch):.2f}"
            out.append("| " + " | ".join([label] + summarize(reel) + summarize(torch) + [ratio]) + " |")
        out.append("")
    return "\n".join(out)


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as stream:
            lines = stream.readlines()
    else:
        lines = sys.stdin.readlines()
    print(tables(lines))


if __name__ == "__main__":
    main()
