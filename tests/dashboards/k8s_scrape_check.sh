#!/usr/bin/env bash
# deploy/k8s/prometheus-scrape.yml through `promtool check config`. Debian's Prometheus is built
# without Kubernetes service discovery, so its promtool rejects kubernetes_sd_configs: the check
# stands an empty static target list in for it (after checking that each job discovers pods) and
# lets promtool judge the rest: job names, relabel actions, regular expressions, label names.
# usage: k8s_scrape_check.sh SOURCE_DIR [PROMTOOL] [PYTHON3]
set -euo pipefail
source_dir=$1
promtool=${2:-promtool}
python=${3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" - "$source_dir/deploy/k8s/prometheus-scrape.yml" "$work/prometheus.yml" <<'EOF'
import sys
import yaml

with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
jobs = config.get("scrape_configs") or []
if not jobs:
    sys.exit(f"k8s_scrape_check: {sys.argv[1]}: no scrape_configs")
for job in jobs:
    discovery = job.pop("kubernetes_sd_configs", None)
    if discovery != [{"role": "pod"}]:
        sys.exit(f"k8s_scrape_check: {sys.argv[1]}: job {job.get('job_name')} must discover pods "
                 f"(kubernetes_sd_configs: [{{role: pod}}]), has {discovery}")
    job["static_configs"] = [{"targets": []}]
with open(sys.argv[2], "w") as f:
    yaml.safe_dump(config, f)
EOF
"$promtool" check config --syntax-only "$work/prometheus.yml"
echo "k8s_scrape_check: deploy/k8s/prometheus-scrape.yml's jobs and relabel rules pass promtool"
