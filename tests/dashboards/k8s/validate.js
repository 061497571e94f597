#!/usr/bin/env node
// Validates a directory of Kubernetes manifests offline, as the API server would with strict
// field validation: every document of every YAML file against its apiVersion/kind's schema
// (an unknown kind fails), the kustomization's generated ConfigMaps and Secrets rendered and
// validated too, and every file the kustomization names present.
//
// usage: node validate.js DIR [--not-kubernetes FILE]...
//   FILE: a YAML file under DIR that another tool reads (a Prometheus scrape job, say); it must
//   parse, and is checked by that tool.
// Exit status: 0 valid, 1 invalid, 2 usage or missing packages.
"use strict";

const fs = require("fs");
const path = require("path");

function loadPackages() {
  try {
    return { YAML: require("yaml"), schema: require("./schema.js"), kustomize: require("./kustomize.js") };
  } catch (error) {
    if (error.code !== "MODULE_NOT_FOUND") throw error;
    console.error(`k8s check: ${error.message.split("\n")[0]}`);
    console.error(`k8s check: the npm packages of ${__dirname} are missing; run: bash tests/clients/install.sh`);
    process.exit(2);
  }
}

const { YAML, schema, kustomize } = loadPackages();

function parseArguments(argv) {
  const args = { dir: null, notKubernetes: new Set() };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--not-kubernetes" && i + 1 < argv.length) args.notKubernetes.add(argv[++i]);
    else if (!argv[i].startsWith("-") && args.dir === null) args.dir = argv[i];
    else return null;
  }
  if (args.dir === null) return null;
  args.dir = path.normalize(args.dir).replace(/(.)\/$/, "$1");
  return args;
}

function yamlFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules" && !entry.name.startsWith(".")) found.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) found.push(full);
  }
  return found.sort();
}

// kubectl and kustomize read YAML 1.1 (a mode of 0440 is octal).
function parseFile(file) {
  const lineCounter = new YAML.LineCounter();
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1", lineCounter });
  return { documents: Array.isArray(documents) ? documents : [documents], lineCounter };
}

function unescapePointer(pointer) {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

// file:line:col of a JSON pointer in a parsed document: the key for a field no schema has, the
// value otherwise; the nearest enclosing node when the pointer leads out of the YAML.
function position(file, parsed, document, pointer, unknownField) {
  const segments = unescapePointer(pointer);
  let node = document.contents;
  let range = node && node.range;
  for (const [i, segment] of segments.entries()) {
    let next = null;
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === segment);
      if (pair && unknownField && i === segments.length - 1) {
        range = pair.key.range;
        break;
      }
      next = pair ? pair.value : null;
    } else if (YAML.isSeq(node)) {
      next = node.items[Number(segment)] || null;
    }
    if (!next || !next.range) break;
    node = next;
    range = node.range;
  }
  if (!range) return file;
  const { line, col } = parsed.lineCounter.linePos(range[0]);
  return `${file}:${line}:${col}`;
}

function describe(object) {
  const name = object.metadata && object.metadata.name;
  return `${object.apiVersion} ${object.kind}${name ? ` "${name}"` : ""}`;
}

function against(object, problem) {
  return problem.unknownKind ? "" : ` [${object.apiVersion} ${object.kind} schema, kubernetes-models ${schema.MODELS_VERSION}]`;
}

function main() {
  const args = parseArguments(process.argv.slice(2));
  if (!args) {
    console.error("usage: node validate.js DIR [--not-kubernetes FILE]...");
    return 2;
  }
  if (!fs.existsSync(args.dir) || !fs.statSync(args.dir).isDirectory()) {
    console.error(`k8s check: ${args.dir} is not a directory`);
    return 2;
  }
  const errors = [];
  const report = [];
  const files = yamlFiles(args.dir);
  for (const name of args.notKubernetes) {
    if (!files.includes(path.join(args.dir, name))) errors.push(`${path.join(args.dir, name)}: no such YAML file (--not-kubernetes)`);
  }
  const kustomizationFile = files.find((f) => path.dirname(f) === args.dir && /^kustomization\.ya?ml$/.test(path.basename(f)));
  const parsedFiles = new Map(files.map((f) => [f, parseFile(f)]));

  let kustomization = null;
  if (kustomizationFile) {
    const parsed = parsedFiles.get(kustomizationFile);
    const bad = parsed.documents.flatMap((d) => d.errors);
    if (bad.length === 0) {
      try {
        kustomization = kustomize.readKustomization(
          parsed.documents.length ? parsed.documents[0].toJS() : null, kustomizationFile);
      } catch (error) {
        if (!(error instanceof kustomize.KustomizeError)) throw error;
        errors.push(error.message);
      }
    }
  }
  // A resource the kustomization lists may sit outside the YAML extensions.
  for (const resource of kustomization ? kustomization.resources : []) {
    if (!parsedFiles.has(resource)) parsedFiles.set(resource, parseFile(resource));
  }
  // What kustomize adds (labels, namespace) goes on the resources it lists, and only those.
  const listed = new Set(kustomization ? kustomization.resources : []);
  const transform = (file, object) => (listed.has(file) ? kustomization.transform(object) : object);

  for (const [file, parsed] of parsedFiles) {
    const exempt = [...args.notKubernetes].some((n) => path.join(args.dir, n) === file);
    for (const [index, document] of parsed.documents.entries()) {
      const where = `document ${index + 1}`;
      for (const error of document.errors) {
        const { line, col } = error.linePos ? error.linePos[0] : { line: 0, col: 0 };
        errors.push(`${file}:${line}:${col}: ${where}: not valid YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:$/, "")}`);
      }
      if (document.errors.length || exempt || file === kustomizationFile) continue;
      const object = document.toJS();
      if (object === null || object === undefined) continue; // an empty document, as after a final ---
      if (typeof object !== "object" || Array.isArray(object)) {
        errors.push(`${position(file, parsed, document, "")}: ${where}: not a Kubernetes object (a mapping with apiVersion and kind)`);
        continue;
      }
      if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
        errors.push(`${position(file, parsed, document, "")}: ${where}: no apiVersion and kind (strings); if another tool reads ` +
          `${path.basename(file)}, name it with --not-kubernetes and check it with that tool`);
        continue;
      }
      const problems = schema.validate(transform(file, object));
      for (const p of problems) {
        errors.push(`${position(file, parsed, document, p.pointer, p.message.startsWith("unknown field"))}: ${where} ` +
          `(${describe(object)}): ${p.pointer || "/"}: ${p.message}${against(object, p)}`);
      }
      if (problems.length === 0) report.push(`${file}: ${where}: ${describe(object)} valid`);
    }
  }

  for (const { where, object } of kustomization ? kustomization.generated : []) {
    const rendered = kustomization.transform(object);
    const problems = schema.validate(rendered);
    for (const p of problems) {
      errors.push(`${where} (rendered ${describe(rendered)}): ${p.pointer || "/"}: ${p.message}${against(rendered, p)}`);
    }
    if (problems.length === 0) {
      const keys = Object.keys({ ...rendered.data, ...rendered.binaryData }).join(", ");
      report.push(`${where}: rendered ${describe(rendered)} with keys ${keys} valid`);
    }
  }

  for (const line of report) console.log(line);
  for (const note of kustomization ? kustomization.notes : []) console.log(note);
  if (report.length === 0) errors.push(`${args.dir}: no Kubernetes object found`);
  for (const error of errors) console.error(error);
  if (errors.length) {
    console.error(`k8s check: ${errors.length} problem(s) in ${args.dir}`);
    return 1;
  }
  console.log(`k8s check: ${report.length} object(s) in ${args.dir} valid against the Kubernetes API schemas ` +
    `(kubernetes-models ${schema.MODELS_VERSION})`);
  return 0;
}

process.exitCode = main();
