#!/bin/sh
# The compose stack's simulated gateway: the simulated sensors, then the edge agent.
# The config is rendered from gateway.yaml.in with the password from the environment,
# into the gateway's own volume (readable by its user only).
set -eu
umask 077
python - /etc/stockwarden/gateway.yaml.in /var/lib/stockwarden/gateway.yaml <<'PY'
import os
import string
import sys

source, target = sys.argv[1:]
with open(source) as template, open(target, "w") as rendered:
    rendered.write(string.Template(template.read()).substitute(os.environ))
PY
stockwarden edge --config /var/lib/stockwarden/gateway.yaml --check
# The devices first, so that the agent's first poll finds them.
stockwarden sim &
sleep 2
exec stockwarden edge --config /var/lib/stockwarden/gateway.yaml --log-format json
