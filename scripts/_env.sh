# Sourced by scripts/run and scripts/test: make sure .venv exists and holds exactly the packages of
# the lock file (requirements.txt, or requirements-test.txt with "test"), every hash checked, and
# then this project itself without resolving anything again; reinstalled only when the lock file
# or pyproject.toml changed. The lock files are made by scripts/lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
extras=${1:-}
lock=requirements${extras:+-$extras}.txt
stamp=".venv/.installed-$(cat pyproject.toml "$lock" | sha256sum | cut -c1-16)${extras:+-$extras}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  echo "Installing motcua and its dependencies into .venv from $lock ..." >&2
  .venv/bin/python -m pip install --quiet --require-hashes -r "$lock" >&2
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e . >&2
  .venv/bin/python -m pip check >/dev/null || {
    echo "$lock does not hold every dependency of pyproject.toml: run scripts/lock and commit the lock files." >&2
    exit 1
  }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
