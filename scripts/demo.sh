#!/usr/bin/env bash
# scripts/demo.sh — installs what is missing (apt, Fashion-MNIST included), builds reel's samples (Release) and
# runs a short demo on the CPU, a few minutes on 2 cores:
#   1. fashion_mlp: an MLP learns Fashion-MNIST (3 epochs), then prints its test accuracy;
#   2. modular: one learned module per arithmetic operator, wired by recursion over expression trees, then
#      its accuracy on held-out trees and on deeper trees than it was trained on;
#   3. with an SST folder given: tree_lstm, a Tree-LSTM sentiment classifier on parse trees (one epoch, about
#      42% fine-grained root accuracy; samples/README.md has the full run);
#   4. with an SST folder given: tagger, a BiLSTM tagger written one sentence at a time, trained on 2000 sentences
#      twice — eagerly and with automatic batching (--autobatch 64, docs/autobatch.md) — printing both speeds.
# Each prints a progress bar while it trains. Metrics (CSV), plots (PNG) and models (safetensors) go to
# $REEL_BUILD_DIR/demo.
#
#   scripts/demo.sh                      # Fashion-MNIST + modular
#   scripts/demo.sh ../shared/data/sst   # ... + Tree-LSTM on SST (train.txt, dev.txt, test.txt)
#   REEL_BUILD_DIR=/tmp/b scripts/demo.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SST_DIR="${1:-}"
if [[ -n "$SST_DIR" && ! -f "$SST_DIR/train.txt" ]]; then
  echo "error: $SST_DIR/train.txt not found; pass a folder with SST's train.txt, dev.txt and test.txt" >&2
  exit 2
fi

# Fashion-MNIST comes from Debian's package: installed like the build dependencies, only when missing.
REEL_PACKAGES+=(dataset-fashion-mnist)
reel_install_missing
reel_configure
reel_log "building the samples with $(nproc) jobs"
cmake --build "$REEL_BUILD_DIR" --parallel "$(nproc)" --target fashion_mlp modular tree_lstm tagger

# OpenMP threads that wait for work sleep instead of spinning: on a machine whose cores other programs also
# use, spinning threads slowed the samples down many times over (samples/README.md, "Threads").
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"

OUT="$REEL_BUILD_DIR/demo"
mkdir -p "$OUT"
SAMPLES="$REEL_BUILD_DIR/samples"

reel_log "1. fashion_mlp: an MLP (784-512-256-10) learns to classify Fashion-MNIST clothing images"
"$SAMPLES/fashion_mlp" --epochs 3 --out "$OUT"

reel_log "2. modular: a network wired anew for every expression tree, one module per operator"
"$SAMPLES/modular" --epochs 4 --out "$OUT"

if [[ -n "$SST_DIR" ]]; then
  reel_log "3. tree_lstm: a Tree-LSTM reads the parse tree of each sentence (one epoch over SST's 8544 training trees)"
  "$SAMPLES/tree_lstm" --data "$SST_DIR" --epochs 1 --out "$OUT"
  reel_log "4. tagger: the same per-sentence BiLSTM code, one sentence at a time, then with automatic batching"
  "$SAMPLES/tagger" --data "$SST_DIR" --train-limit 2000 --batch 64 --out "$OUT/tagger_eager" --no-plot
  "$SAMPLES/tagger" --data "$SST_DIR" --train-limit 2000 --autobatch 64 --out "$OUT/tagger_autobatch" --no-plot
else
  reel_log "3-4. tree_lstm and tagger skipped: run scripts/demo.sh <SST folder> (e.g. ../shared/data/sst) to include them"
fi

reel_log "done: metrics, plots and models are in $OUT"
ls -1 "$OUT"
