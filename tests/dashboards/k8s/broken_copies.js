#!/usr/bin/env node
// Shows that validate.js can fail: each case copies the manifests into a temporary directory,
// breaks one thing the way a hand edit would, and expects validate.js to exit 1 with a message
// naming the file, the document and the problem. The unbroken copy must pass.
//
// usage: node broken_copies.js DIR [--not-kubernetes FILE]...   (validate.js's arguments)
"use strict";

const childProcess = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { gitignored } = require("./kustomize.js");

// edit(dir) changes the copy; replace() fails the case when the text it expects is gone, so a
// case never passes by breaking nothing.
function replace(dir, file, from, to) {
  const full = path.join(dir, file);
  const text = fs.readFileSync(full, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  fs.writeFileSync(full, text.replace(from, to));
}

const deployment = 'document 1 (apps/v1 Deployment "storefront")';
const cases = [
  {
    name: "a misspelt field",
    edit: (d) => replace(d, "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"),
    expect: [deployment, "deployment.yaml:", "/spec/template/spec/containers/1/securityContext/readOnlyRootFileSystem: unknown field"],
  },
  {
    name: "a string where an integer goes",
    edit: (d) => replace(d, "deployment.yaml", "containerPort: 6432", 'containerPort: "6432"'),
    expect: [deployment, "/spec/template/spec/containers/1/ports/0/containerPort: must be integer", "apps/v1 Deployment schema"],
  },
  {
    name: "an integer where a string goes",
    edit: (d) => replace(d, "deployment.yaml", 'prometheus.io/port: "9932"', "prometheus.io/port: 9932"),
    expect: [deployment, "/spec/template/metadata/annotations/prometheus.io~1port: must be string"],
  },
  {
    name: "a required field missing",
    edit: (d) => replace(d, "deployment.yaml", "        - name: pgtally\n          image:", "        - image:"),
    expect: [deployment, "/spec/template/spec/containers/1: must have required property name"],
  },
  {
    name: "an unknown kind",
    edit: (d) => replace(d, "deployment.yaml", "kind: Deployment", "kind: Deploymnet"),
    expect: ['document 1 (apps/v1 Deploymnet "storefront")', "unknown kind: no apps/v1 Deploymnet"],
  },
  {
    name: "an API version Kubernetes no longer serves",
    edit: (d) => replace(d, "deployment.yaml", "apiVersion: apps/v1", "apiVersion: extensions/v1beta1"),
    expect: ["deployment.yaml:4:13:", "/apiVersion: extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1"],
  },
  {
    name: "a part of a kind, not a kind",
    edit: (d) => replace(d, "deployment.yaml", "kind: Deployment", "kind: DeploymentSpec"),
    expect: ["unknown kind: no apps/v1 DeploymentSpec"],
  },
  {
    name: "a second document of an unknown kind",
    edit: (d) => fs.appendFileSync(path.join(d, "deployment.yaml"), "---\napiVersion: v1\nkind: Servce\nmetadata:\n  name: storefront\n"),
    expect: ['document 2 (v1 Servce "storefront")', "unknown kind"],
  },
  {
    name: "a resource that does not parse",
    edit: (d) => replace(d, "deployment.yaml", "replicas: 3", "replicas: [3"),
    expect: ["deployment.yaml:", "document 1: not valid YAML"],
  },
  {
    name: "a key twice in a mapping",
    edit: (d) => replace(d, "deployment.yaml", "replicas: 3", "replicas: 3\n  replicas: 4"),
    expect: ["deployment.yaml:", "not valid YAML: Map keys must be unique"],
  },
  {
    name: "a listed resource missing",
    edit: (d) => replace(d, "kustomization.yaml", "- deployment.yaml", "- deployments.yaml"),
    expect: ["kustomization.yaml: resources[0]: deployments.yaml does not exist"],
  },
  {
    name: "a file of the configMapGenerator missing",
    edit: (d) => fs.unlinkSync(path.join(d, "pgtally.ini")),
    expect: ["kustomization.yaml: configMapGenerator[0].files[0]: pgtally.ini does not exist"],
  },
  {
    name: "the secret's file neither present nor one git ignores",
    edit: (d) => fs.unlinkSync(path.join(d, ".gitignore")),
    expect: ["kustomization.yaml: secretGenerator[0].files[0]: http-token does not exist"],
  },
  {
    name: "a misspelt kustomization field",
    edit: (d) => replace(d, "kustomization.yaml", "configMapGenerator:", "configMapGenerators:"),
    expect: ["kustomization.yaml: unknown field configMapGenerators (not a Kustomization field)"],
  },
  {
    name: "a kustomization field this check does not render",
    edit: (d) => fs.appendFileSync(path.join(d, "kustomization.yaml"), "namePrefix: shop-\n"),
    expect: ["kustomization.yaml: namePrefix: a kustomize field this check does not render"],
  },
  {
    name: "a label value that is not a string",
    edit: (d) => replace(d, "kustomization.yaml", "app.kubernetes.io/part-of: storefront", "app.kubernetes.io/part-of: 1"),
    expect: ["kustomization.yaml: labels[0].pairs.app.kubernetes.io/part-of: expected a string, not 1"],
  },
  {
    name: "a generated key kustomize refuses",
    edit: (d) => replace(d, "kustomization.yaml", "      - pgtally.ini", "      - pgtally config=pgtally.ini"),
    expect: ["configMapGenerator[0].files[0]: \"pgtally config\" is not a valid key"],
  },
  {
    name: "a generated ConfigMap the schema rejects",
    edit: (d) => replace(d, "kustomization.yaml", "configMapGenerator:\n  - name: pgtally-config\n",
      "configMapGenerator:\n  - name: pgtally-config\n    options:\n      immutable: \"yes\"\n"),
    expect: ['configMapGenerator[0] (rendered v1 ConfigMap "pgtally-config"): /immutable: must be boolean', "v1 ConfigMap schema"],
  },
  {
    name: "a YAML file of another tool not named as such",
    args: (a) => a.filter((x, i) => x !== "--not-kubernetes" && a[i - 1] !== "--not-kubernetes"),
    edit: () => {},
    expect: ["no apiVersion and kind", "--not-kubernetes"],
  },
];

function run(dir, args) {
  const validate = path.join(__dirname, "validate.js");
  return childProcess.spawnSync(process.execPath, [validate, dir, ...args], { encoding: "utf8" });
}

function main() {
  const [source, ...args] = process.argv.slice(2);
  if (!source) {
    console.error("usage: node broken_copies.js DIR [--not-kubernetes FILE]...");
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgtally-k8s-"));
  let failed = 0;
  try {
    // Not the files git ignores: an operator's real token stays where it is.
    const ignored = new Set(gitignored(source).map((name) => path.join(source, name)));
    const copy = (name) => {
      const dir = path.join(work, name.replace(/[^a-z0-9]+/gi, "-"));
      fs.cpSync(source, dir, { recursive: true, filter: (file) => !ignored.has(file) });
      return dir;
    };
    const intact = run(copy("intact"), args);
    if (intact.status === 2) {
      console.error(`validate.js cannot run:\n${intact.stderr}`);
      return 2;
    }
    if (intact.status !== 0) {
      console.error(`FAIL the unbroken copy: exit ${intact.status}\n${intact.stderr}`);
      failed++;
    }
    for (const c of cases) {
      const dir = copy(c.name);
      try {
        c.edit(dir);
      } catch (error) {
        console.error(`FAIL ${c.name}: ${error.message}`);
        failed++;
        continue;
      }
      const result = run(dir, c.args ? c.args(args) : args);
      const missing = c.expect.filter((e) => !result.stderr.includes(e));
      if (result.status === 1 && missing.length === 0) {
        console.log(`rejected ${c.name}: ${result.stderr.split("\n")[0]}`);
      } else {
        console.error(`FAIL ${c.name}: exit ${result.status}, stderr lacks ${JSON.stringify(missing)}\n${result.stderr}`);
        failed++;
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (failed) {
    console.error(`broken copies: ${failed} of ${cases.length + 1} cases failed`);
    return 1;
  }
  console.log(`broken copies: the unbroken copy passes, all ${cases.length} broken ones are rejected`);
  return 0;
}

process.exitCode = main();
