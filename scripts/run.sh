#!/usr/bin/env bash
# Set up .venv if needed, then start video_bank on http://127.0.0.1:8080 with embedded defaults
# (SQLite and records under ./var). Extra arguments go to `python -m video_bank serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
exec .venv/bin/python -m video_bank serve "$@"
