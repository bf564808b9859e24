#!/usr/bin/env python3
"""scripts/bench_table.py — turns the raw lines of scripts/bench.sh into markdown tables, reel beside LibTorch
(and DyNet, when bench.sh ran it).

Input: the lines the bench programs print (bench/bench_common.h), each prefixed by bench.sh with the side that
printed it, the repeat and the load average it ran under:

  impl=reel repeat=2 load=0.84 bench=W1 figure=forward_tape_ns_per_op value=202 unit=ns ... threads=2

Every run gives one value per figure (the program's own median over its inner repeats). Across the runs of one
side this prints, per figure, one markdown table with a row per setting (threads, n, mode, workload): median, min,
max and the number of runs for each library, and the ratio of the medians reel / LibTorch (and reel / DyNet where
DyNet ran). W8 peak_rss_mib is the line bench.sh adds from /usr/bin/time -v for every run (the same measurement
for every library); vmhwm_mib is the programs' own in-process reading, kept apart. A figure whose name starts
with reel_ or torch_ is paired by the rest of its name (reel_matmul_gflops beside torch_matmul_gflops); a figure
only one side has (dnnl_sgemm_gflops, torch_mm_out_gflops) gets a table with the other side empty.

  python3 scripts/bench_table.py results.txt          (or the lines on standard input)
"""
import collections
import statistics
import sys

SETTING_KEYS = ("workload", "threads", "n", "mode", "form", "device", "conv", "workers")  # what tells rows apart
SIDES = ("reel", "libtorch", "dynet")
SIDE_NAMES = {"reel": "reel", "libtorch": "LibTorch", "dynet": "DyNet"}
MEMORY_FIGURES = ("peak_rss_mib", "vmhwm_mib", "rss_mib", "rss_growth_mib")
HIGHER_IS_BETTER = ("GFLOP/s", "trees/s", "sentences/s", "fraction")


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
        if "load" in fields and fields["figure"] not in MEMORY_FIGURES:
            loads.append(float(fields["load"]))

    out = []
    if loads:
        out.append(f"Load average (1 min) at the start of the runs: median {statistics.median(loads):.2f}, "
                   f"min {min(loads):.2f}, max {max(loads):.2f}.\n")
    sides_seen = [side for side in SIDES if any(side in by_side for settings in runs.values()
                                                 for by_side in settings.values())]
    for (workload, figure), settings in sorted(runs.items(), key=lambda item: (item[0][0], list(runs).index(item[0]))):
        unit = units[(workload, figure)]
        shown = " / ".join(f"{SIDE_NAMES[side]}: `{names[(workload, figure)][side]}`" for side in SIDES
                           if side in names[(workload, figure)])
        better = "higher is better" if unit in HIGHER_IS_BETTER else "lower is better"
        how = "; /usr/bin/time -v maximum resident set size" if figure == "peak_rss_mib" else ""
        out.append(f"### {workload} {figure} ({unit}, {better}{how}; {shown})\n")
        others = [side for side in sides_seen if side != "reel"]
        header = ["setting", "reel median", "min", "max", "runs"]
        for side in others:
            header += [f"{SIDE_NAMES[side]} median", "min", "max", "runs"]
        header += [f"reel / {SIDE_NAMES[side]}" for side in others]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for setting, by_side in settings.items():
            label = " ".join(f"{k}={v}" for k, v in setting) or "-"
            reel = by_side.get("reel", [])
            row = [label] + summarize(reel)
            ratios = []
            for side in others:
                values = by_side.get(side, [])
                row += summarize(values)
                ratio = ""
                if reel and values and statistics.median(values) != 0:
                    ratio = f"{statistics.median(reel) / statistics.median(values):.2f}"
                ratios.append(ratio)
            out.append("| " + " | ".join(row + ratios) + " |")
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
