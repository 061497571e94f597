#!/usr/bin/env python3
"""Checks pgtally's deployment files, none of which can run here (no Docker, no cluster).

Every YAML and JSON file under deploy/ and dashboards/ must parse. Beyond that, what a typo
would break: compose.yml's services and the files it mounts, the Kubernetes sidecar's probes,
resources, annotations, ConfigMap and Secret, the Dockerfile's stages, user, ports and health
check, Grafana's provisioning paths against the compose mounts, and the options compose.yml
gives pgtally against `pgtally --help`.

usage: deploy_files_check.py --source-dir DIR --pgtally PATH
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

import yaml


class Check:
    def __init__(self):
        self.errors = []

    def that(self, condition, message):
        if not condition:
            self.errors.append(message)
        return condition


def parse_all(root, check):
    """Every YAML (all documents) and JSON file under deploy/ and dashboards/, by path."""
    parsed = {}
    patterns = ("deploy/**/*.yml", "deploy/**/*.yaml", "dashboards/**/*.yml", "dashboards/**/*.yaml")
    for pattern in patterns:
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            rel = os.path.relpath(path, root)
            try:
                with open(path) as f:
                    parsed[rel] = list(yaml.safe_load_all(f))
            except yaml.YAMLError as e:
                check.that(False, f"{rel}: not valid YAML: {e}")
    for path in glob.glob(os.path.join(root, "dashboards/**/*.json"), recursive=True):
        rel = os.path.relpath(path, root)
        try:
            with open(path) as f:
                parsed[rel] = [json.load(f)]
        except json.JSONDecodeError as e:
            check.that(False, f"{rel}: not valid JSON: {e}")
    return parsed


def check_compose(root, parsed, check):
    compose = parsed.get("deploy/compose.yml", [None])[0]
    if not check.that(isinstance(compose, dict), "deploy/compose.yml: missing or empty"):
        return {}
    services = compose.get("services", {})
    for name in ("postgres", "pgtally", "storefront", "prometheus", "grafana"):
        check.that(name in services, f"deploy/compose.yml: no {name} service")
    base = os.path.join(root, "deploy")
    for name, service in services.items():
        build = service.get("build")
        if build:
            context = os.path.normpath(os.path.join(base, build["context"]))
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            check.that(os.path.isfile(dockerfile), f"compose {name}: no Dockerfile at {dockerfile}")
        for volume in service.get("volumes", []):
            source = volume.rsplit(":", 2)[0] if volume.startswith("${") else volume.split(":")[0]
            # ${VARIABLE:-default}: the default must exist.
            source = re.sub(r"^\$\{[A-Z_]+:-(.*)\}$", r"\1", source)
            if source.startswith("."):
                path = os.path.normpath(os.path.join(base, source))
                check.that(os.path.exists(path), f"compose {name}: mounts {source}, which does not exist")
    pgtally = services.get("pgtally", {})
    storefront = services.get("storefront", {})
    check.that(storefront.get("build") == pgtally.get("build"),
               "compose storefront: must be built like pgtally (the same Dockerfile)")
    check.that((storefront.get("command") or [None])[0] == "pgtally-storefront",
               "compose storefront: command must be pgtally-storefront")
    command = " ".join(pgtally.get("command", []))
    check.that("--http=0.0.0.0:9932" in command, "compose pgtally: --http must listen on 0.0.0.0:9932")
    check.that("PGTALLY_HTTP_TOKEN" in pgtally.get("environment", {}),
               "compose pgtally: a non-loopback --http needs PGTALLY_HTTP_TOKEN")
    return services


def check_pgtally_options(services, pgtally, check):
    """Each --option compose.yml passes to pgtally is one `pgtally --help` lists."""
    help_text = subprocess.run([pgtally, "--help"], check=True, capture_output=True, text=True).stdout
    known = set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))
    command = services.get("pgtally", {}).get("command", [])
    check.that(command[:1] == ["pgtally"], "compose pgtally: the command must start with pgtally")
    for arg in command[1:]:
        option = arg.split("=")[0]
        if option.startswith("--"):
            check.that(option in known, f"compose pgtally: pgtally has no option {option}")


def check_prometheus_config(parsed, check):
    config = parsed.get("deploy/prometheus.yml", [None])[0] or {}
    rule_files = config.get("rule_files", [])
    check.that(any(f.startswith("/etc/prometheus/rules/") for f in rule_files),
               "deploy/prometheus.yml: must load the rules mounted at /etc/prometheus/rules")
    targets = [t for job in config.get("scrape_configs", [])
               for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
    check.that("pgtally:9932" in targets, "deploy/prometheus.yml: must scrape pgtally:9932")


def check_grafana_provisioning(parsed, services, check):
    grafana_mounts = {v.split(":")[1]: v.split(":")[0] for v in services.get("grafana", {}).get("volumes", [])}
    provider = parsed.get("dashboards/provisioning/dashboards/pgtally.yml", [None])[0] or {}
    paths = [p.get("options", {}).get("path") for p in provider.get("providers", [])]
    check.that(bool(paths), "dashboards/provisioning/dashboards/pgtally.yml: no provider")
    for path in paths:
        check.that(grafana_mounts.get(path) == "../dashboards",
                   f"dashboard provider path {path} is not where compose mounts dashboards/")
    sources = parsed.get("dashboards/provisioning/datasources/prometheus.yml", [None])[0] or {}
    urls = [d.get("url") for d in sources.get("datasources", []) if d.get("type") == "prometheus"]
    check.that("http://prometheus:9090" in urls, "datasource provisioning: no Prometheus at http://prometheus:9090")


def check_kubernetes(root, parsed, check):
    kustomization = parsed.get("deploy/k8s/kustomization.yaml", [None])[0] or {}
    k8s = os.path.join(root, "deploy/k8s")
    for resource in kustomization.get("resources", []):
        check.that(os.path.isfile(os.path.join(k8s, resource)), f"kustomization: no {resource}")
    generated = {}
    for generator in kustomization.get("configMapGenerator", []):
        generated[generator["name"]] = "configMap"
        for entry in generator.get("files", []):
            path = entry.split("=")[-1]
            check.that(os.path.isfile(os.path.join(k8s, path)), f"configMapGenerator: no {path}")
    for generator in kustomization.get("secretGenerator", []):
        generated[generator["name"]] = "secret"
    deployments = [d for rel in kustomization.get("resources", [])
                   for d in parsed.get(os.path.join("deploy/k8s", rel), []) if d and d.get("kind") == "Deployment"]
    if not check.that(len(deployments) == 1, "deploy/k8s: expected one Deployment"):
        return
    pod = deployments[0]["spec"]["template"]
    annotations = pod["metadata"].get("annotations", {})
    check.that(annotations.get("prometheus.io/scrape") == "true", "Deployment: no prometheus.io/scrape annotation")
    check.that(annotations.get("prometheus.io/port") == "9932", "Deployment: prometheus.io/port must be 9932")
    containers = {c["name"]: c for c in pod["spec"]["containers"]}
    check.that(len(containers) >= 2, "Deployment: pgtally must run beside an application container")
    sidecar = containers.get("pgtally")
    if not check.that(sidecar is not None, "Deployment: no pgtally container"):
        return
    check.that(sidecar.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz",
               "pgtally container: liveness must ask /healthz")
    check.that(sidecar.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz",
               "pgtally container: readiness must ask /readyz")
    port_names = [p["name"] for c in containers.values() for p in c.get("ports", []) if "name" in p]
    check.that(len(port_names) == len(set(port_names)), f"Deployment: port names repeat in the pod: {port_names}")
    sidecar_ports = {p.get("name"): p["containerPort"] for p in sidecar.get("ports", [])}
    for probe in ("livenessProbe", "readinessProbe"):
        port = sidecar.get(probe, {}).get("httpGet", {}).get("port")
        check.that(sidecar_ports.get(port, port) == 9932, f"pgtally container: {probe} must ask port 9932")
    resources = sidecar.get("resources", {})
    for kind in ("requests", "limits"):
        check.that("cpu" in resources.get(kind, {}) and "memory" in resources.get(kind, {}),
                   f"pgtally container: resource {kind} need cpu and memory")
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    for mount in sidecar.get("volumeMounts", []):
        check.that(mount["name"] in volumes, f"pgtally container: mounts unknown volume {mount['name']}")
    referenced = {v["configMap"]["name"]: "configMap" for v in volumes.values() if "configMap" in v}
    referenced.update({v["secret"]["secretName"]: "secret" for v in volumes.values() if "secret" in v})
    for name, kind in referenced.items():
        check.that(generated.get(name) == kind, f"Deployment: {kind} {name} is not generated by the kustomization")
    check.that("secret" in referenced.values(), "Deployment: the HTTP token must come from a Secret")
    user = sidecar.get("securityContext", {}).get("runAsUser")
    check.that(pod["spec"].get("securityContext", {}).get("fsGroup") == user,
               "Deployment: fsGroup must be pgtally's uid, or it cannot read the token Secret")
    context = sidecar.get("securityContext", {})
    check.that(context.get("allowPrivilegeEscalation") is False and context.get("readOnlyRootFilesystem") is True,
               "pgtally container: no privilege escalation, read-only root filesystem")


def check_dockerfile(root, check):
    path = os.path.join(root, "deploy/Dockerfile")
    with open(path) as f:
        text = f.read()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    check.that(len(stages) >= 2 and all(s.startswith("debian:12") for s in stages),
               "Dockerfile: a build stage and a runtime stage, both Debian 12")
    check.that("install-deps.sh build" in text, "Dockerfile: the build stage must use deploy/install-deps.sh build")
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    check.that(bool(users) and users[-1].split(":")[0] not in ("root", "0"), "Dockerfile: must run as a non-root user")
    exposed = set(" ".join(re.findall(r"^EXPOSE\s+(.+)$", text, re.M)).split())
    check.that({"6432", "9932"} <= exposed, "Dockerfile: must EXPOSE 6432 and 9932")
    health = re.search(r"^HEALTHCHECK[^\n]*\\\n\s+CMD (\[.*\])$", text, re.M)
    if check.that(health is not None, "Dockerfile: no HEALTHCHECK ... CMD [...]"):
        try:
            command = json.loads(health.group(1))
            check.that("/healthz" in " ".join(command), "Dockerfile: HEALTHCHECK must ask /healthz")
        except json.JSONDecodeError as e:
            check.that(False, f"Dockerfile: HEALTHCHECK CMD is not a JSON array: {e}")
    check.that("/run/pgtally" in text, "Dockerfile: must create the Unix-socket directory /run/pgtally")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--pgtally", required=True, help="the pgtally executable")
    args = parser.parse_args()
    root = args.source_dir
    check = Check()
    parsed = parse_all(root, check)
    services = check_compose(root, parsed, check)
    check_pgtally_options(services, args.pgtally, check)
    check_prometheus_config(parsed, check)
    check_grafana_provisioning(parsed, services, check)
    check_kubernetes(root, parsed, check)
    check_dockerfile(root, check)
    for error in check.errors:
        print(error, file=sys.stderr)
    if check.errors:
        return 1
    print(f"deploy_files_check: {len(parsed)} YAML/JSON files parse; compose, Kubernetes, "
          "Dockerfile, provisioning and pgtally's options agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
