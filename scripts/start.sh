#!/usr/bin/env bash
# Set up, prepare the models, ingest the bundled example article, and open the chat
# (without a terminal, e.g. piped: ask the sample question instead).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/assistant models prepare
.venv/bin/assistant ingest examples/articles
if [ -t 0 ] && [ -t 1 ] && [ $# -eq 0 ]; then
  exec .venv/bin/assistant chat
fi
exec .venv/bin/assistant --ask "${1:-Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?}"
