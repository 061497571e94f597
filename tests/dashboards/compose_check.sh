#!/usr/bin/env bash
# deploy/compose.yml through docker-compose's own validation (`config` needs no Docker engine):
# it must pass with PGTALLY_HTTP_TOKEN set, stop with a message naming PGTALLY_HTTP_TOKEN when
# it is not, and reject a broken copy; the project must be named pgtally (deploy/.env).
# usage: compose_check.sh SOURCE_DIR [DOCKER_COMPOSE]
set -euo pipefail
source_dir=$1
docker_compose=${2:-docker-compose}
compose=$source_dir/deploy/compose.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "compose_check: $*" >&2
  exit 1
}

command -v "$docker_compose" >/dev/null || fail "no $docker_compose (Debian's docker-compose; deploy/install-deps.sh installs it)"

if ! output=$(PGTALLY_HTTP_TOKEN=placeholder "$docker_compose" -f "$compose" config -q 2>&1); then
  fail "docker-compose rejects deploy/compose.yml: $output"
fi
echo "compose_check: docker-compose config accepts deploy/compose.yml"

if output=$(env -u PGTALLY_HTTP_TOKEN "$docker_compose" -f "$compose" config -q 2>&1); then
  fail "deploy/compose.yml is accepted without PGTALLY_HTTP_TOKEN; pgtally's HTTP listener needs a token"
fi
grep -q "PGTALLY_HTTP_TOKEN" <<<"$output" || fail "without PGTALLY_HTTP_TOKEN the message does not name it: $output"
echo "compose_check: without PGTALLY_HTTP_TOKEN: ${output%%$'\n'*}"

# The broken copy sits beside the original's files so only the break can make it fail.
broken=$work/deploy
mkdir "$broken"
cp "$compose" "$source_dir/deploy/prometheus.yml" "$broken/"
PGTALLY_HTTP_TOKEN=placeholder "$docker_compose" -f "$broken/compose.yml" config -q ||
  fail "docker-compose rejects an unbroken copy of deploy/compose.yml in $broken"
grep -q "^    depends_on:" "$broken/compose.yml" || fail "deploy/compose.yml has no depends_on to misspell"
sed -i '0,/^    depends_on:/s//    depend_on:/' "$broken/compose.yml"
if output=$(PGTALLY_HTTP_TOKEN=placeholder "$docker_compose" -f "$broken/compose.yml" config -q 2>&1); then
  fail "docker-compose accepts a copy with a misspelt depends_on"
fi
grep -q "depend_on" <<<"$output" || fail "the broken copy's message does not name depend_on: $output"
echo "compose_check: a misspelt depends_on is rejected: $(grep -m1 depend_on <<<"$output")"

# The project name as docker-compose 1.29 derives it: --project-name, else COMPOSE_PROJECT_NAME
# from the .env beside the first compose file, else that directory's name.
python=$(head -n 1 "$(command -v "$docker_compose")" | sed -n 's/^#!\(\S*python\S*\).*/\1/p')
name=$("${python:-/usr/bin/python3}" -c '
import sys
from compose.cli.command import get_project_dir, get_project_name
from compose.config.environment import Environment
directory = get_project_dir({"--file": [sys.argv[1]]})
print(get_project_name(directory, environment=Environment.from_env_file(directory)))
' "$compose")
[ "$name" = pgtally ] || fail "the compose project is named $name, not pgtally (deploy/.env's COMPOSE_PROJECT_NAME)"
echo "compose_check: project name $name"
