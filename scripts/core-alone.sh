#!/usr/bin/env bash
# The websocket core lifted out of the site. In a directory holding only chatapp/websocket/
# (with an empty chatapp/__init__.py) and pyproject.toml (pytest's options), nothing else of
# the site (no settings, apps, conftest or templates):
#   1. every module of the core except its test helpers imports in a virtualenv with only
#      Django and Channels installed (.venv-core, made once);
#   2. the core's own tests pass on its own settings (chatapp.websocket.tests.settings),
#      with the test tools of the dev requirements (pytest, daphne for channels.testing).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT

# The core's files as git sees them in the working tree (tracked or new, not ignored).
git ls-files -z --cached --others --exclude-standard -- chatapp/websocket pyproject.toml |
  while IFS= read -r -d '' file; do
    if [ -e "$file" ]; then cp --parents "$file" "$copy"; fi
  done
touch "$copy/chatapp/__init__.py"

if ! [ -x .venv-core/bin/python ]; then
  python3 -m venv .venv-core
  .venv-core/bin/pip install --quiet "$(grep -i '^Django==' requirements.txt)" \
    "$(grep -i '^channels==' requirements.txt)"
fi

cd "$copy"
export DJANGO_SETTINGS_MODULE=chatapp.websocket.tests.settings
"$here/.venv-core/bin/python" - <<'PY'
import importlib
import pkgutil

import django

django.setup()
import chatapp.websocket as core

# testing.py needs channels.testing, which needs daphne: a test tool, as in Channels.
names = [
    m.name
    for m in pkgutil.walk_packages(core.__path__, "chatapp.websocket.")
    if ".tests" not in m.name and not m.name.endswith(".testing")
]
for name in names:
    importlib.import_module(name)
print(f"core alone: {len(names)} modules import with only Django and Channels installed")
PY
"$here/.venv/bin/python" -m pytest -q -p no:cacheprovider chatapp/websocket
