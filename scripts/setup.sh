#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with Python 3.12.
# Finds Python as $PYTHON, else python3.12 on PATH, else a pyenv-installed 3.12.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local c
  for c in "${PYTHON:-}" python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)"/versions/3.12*/bin/python3.12; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 12) else 1)' >/dev/null 2>&1; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! py=$(find_python); then
    echo "error: Python 3.12 is required (mesa 3.5 needs it): put python3.12 on PATH or set PYTHON=/path/to/python3.12" >&2
    exit 1
  fi
  echo "creating .venv with $("$py" --version 2>&1)" >&2
  "$py" -m venv .venv
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "installing dependencies into .venv (about a minute the first time)" >&2
  if ! .venv/bin/python -m pip install -e ".[test]" > .venv/pip.log 2>&1 \
     || ! .venv/bin/python -c "import sim, mesa, hydra" >> .venv/pip.log 2>&1; then
    tail -n 30 .venv/pip.log >&2
    echo "error: installing into .venv failed (full log: .venv/pip.log)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
