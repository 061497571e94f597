// What `kustomize build` would make of a kustomization, for the fields this check renders:
// the resources it lists, the ConfigMaps and Secrets its generators make (keys from the files,
// literals and env files they name) and the labels, annotations and namespace it adds.
"use strict";

const fs = require("fs");
const path = require("path");

// Kustomization fields (kustomize v5, kustomize.config.k8s.io/v1beta1): a name outside this
// list is a typo; a field listed but not rendered here fails rather than being skipped.
const RENDERED = new Set([
  "apiVersion", "kind", "metadata", "resources", "configMapGenerator", "secretGenerator",
  "generatorOptions", "labels", "commonLabels", "commonAnnotations", "namespace",
]);
const NOT_RENDERED = new Set([
  "openapi", "namePrefix", "nameSuffix", "buildMetadata", "patchesStrategicMerge",
  "patchesJson6902", "patches", "images", "replacements", "replicas", "vars", "sortOptions",
  "components", "crds", "bases", "helmGlobals", "helmCharts", "helmChartInflationGenerator",
  "configurations", "generators", "transformers", "validators",
]);
const GENERATOR_FIELDS = new Set(["name", "namespace", "behavior", "files", "literals", "envs", "env", "options"]);
const SECRET_GENERATOR_FIELDS = new Set([...GENERATOR_FIELDS, "type"]);
const OPTION_FIELDS = new Set(["labels", "annotations", "disableNameSuffixHash", "immutable"]);
const LABEL_FIELDS = new Set(["pairs", "includeSelectors", "includeTemplates", "fields"]);

// As kustomize checks generated keys (IsConfigMapKey), and the API server's size limit.
const KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_OBJECT_BYTES = 1024 * 1024;

class KustomizeError extends Error {}

function fail(where, message) {
  throw new KustomizeError(`${where}: ${message}`);
}

// A field kustomize reads as a list (absent is empty) or a mapping.
function list(value, where) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, "expected a list");
  return value;
}

function mapping(value, where) {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(where, "expected a mapping");
  return value;
}

function entry(value, where) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(where, "expected a mapping");
  return value;
}

function strings(value, where) {
  const pairs = mapping(value, where);
  for (const [key, v] of Object.entries(pairs)) {
    if (typeof v !== "string") fail(`${where}.${key}`, `expected a string, not ${JSON.stringify(v)} (quote it)`);
  }
  return pairs;
}

function unknownFields(object, allowed, where) {
  for (const key of Object.keys(mapping(object, where))) {
    if (!allowed.has(key)) fail(where, `unknown field ${key}`);
  }
}

// kustomize's load restrictor: nothing outside the kustomization's directory.
function inside(dir, relative, where) {
  if (typeof relative !== "string" || relative === "") fail(where, "expected a file name");
  if (path.isAbsolute(relative)) fail(where, `${relative}: an absolute path (kustomize reads only below the kustomization)`);
  const full = path.join(dir, relative);
  const rel = path.relative(dir, full);
  if (rel.startsWith("..") || path.isAbsolute(rel)) fail(where, `${relative} is outside ${dir}`);
  return full;
}

// The names a directory's .gitignore lists, exactly (deploy/k8s's lists its token file).
function gitignored(dir) {
  const file = path.join(dir, ".gitignore");
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

function readSource(dir, relative, where, supplied) {
  const full = inside(dir, relative, where);
  if (fs.existsSync(full)) {
    if (!fs.statSync(full).isFile()) fail(where, `${relative} is not a file`);
    return { bytes: fs.readFileSync(full), supplied: false };
  }
  // A secret the operator creates and git never holds (deploy/k8s/.gitignore names it): the
  // kustomization cannot be built without it, so the check stands in a placeholder.
  if (supplied && gitignored(dir).includes(path.relative(dir, full))) {
    return { bytes: Buffer.from("placeholder-for-an-operator-supplied-file"), supplied: true };
  }
  fail(where, `${relative} does not exist`);
}

function splitPair(entry, where) {
  const text = String(entry);
  const at = text.indexOf("=");
  if (at <= 0) fail(where, `"${text}" is not key=value`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function unquote(value) {
  const quoted = /^(['"])(.*)\1$/s.exec(value);
  return quoted ? quoted[2] : value;
}

function isUtf8(bytes) {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Each generator entry as { key: bytes }, in kustomize's order: files, literals, env files.
function generatorEntries(dir, generator, where, secret, notes) {
  const entries = new Map();
  const add = (key, bytes, from) => {
    if (!KEY.test(key) || key === "." || key === ".." || key.length > 253) {
      fail(from, `"${key}" is not a valid key (letters, digits, '-', '_', '.')`);
    }
    if (entries.has(key)) fail(from, `key "${key}" appears twice`);
    entries.set(key, bytes);
  };
  for (const [i, entry] of list(generator.files, `${where}.files`).entries()) {
    const from = `${where}.files[${i}]`;
    const [key, file] = String(entry).includes("=") ? splitPair(entry, from) : [path.basename(String(entry)), entry];
    const source = readSource(dir, file, from, secret);
    if (source.supplied) notes.push(`${from}: ${file} is created by the operator (git ignores it); checked with a placeholder`);
    add(key, source.bytes, from);
  }
  for (const [i, literal] of list(generator.literals, `${where}.literals`).entries()) {
    const from = `${where}.literals[${i}]`;
    const [key, value] = splitPair(literal, from);
    add(key, Buffer.from(unquote(value)), from);
  }
  const envs = [...list(generator.envs, `${where}.envs`), ...(generator.env ? [generator.env] : [])];
  for (const [i, file] of envs.entries()) {
    const from = `${where}.envs[${i}]`;
    const source = readSource(dir, file, from, secret);
    for (const [n, line] of source.bytes.toString("utf8").split("\n").entries()) {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      const [key, value] = splitPair(trimmed, `${from} line ${n + 1}`);
      add(key, Buffer.from(unquote(value)), `${from} line ${n + 1}`);
    }
  }
  return entries;
}

function render(dir, generator, where, secret, defaults, notes) {
  entry(generator, where);
  unknownFields(generator, secret ? SECRET_GENERATOR_FIELDS : GENERATOR_FIELDS, where);
  unknownFields(generator.options, OPTION_FIELDS, `${where}.options`);
  if (typeof generator.name !== "string") fail(where, "no name");
  const entries = generatorEntries(dir, generator, where, secret, notes);
  const options = { ...defaults, ...(generator.options || {}) };
  const object = {
    apiVersion: "v1",
    kind: secret ? "Secret" : "ConfigMap",
    metadata: { name: generator.name },
  };
  if (generator.namespace !== undefined) object.metadata.namespace = generator.namespace;
  if (options.labels) object.metadata.labels = { ...strings(options.labels, `${where}.options.labels`) };
  if (options.annotations) object.metadata.annotations = { ...strings(options.annotations, `${where}.options.annotations`) };
  if (options.immutable !== undefined) object.immutable = options.immutable;
  if (secret) {
    object.type = generator.type === undefined ? "Opaque" : generator.type;
    object.data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString("base64")]));
  } else {
    const text = [...entries].filter(([, v]) => isUtf8(v));
    const binary = [...entries].filter(([, v]) => !isUtf8(v));
    if (text.length) object.data = Object.fromEntries(text.map(([k, v]) => [k, v.toString("utf8")]));
    if (binary.length) object.binaryData = Object.fromEntries(binary.map(([k, v]) => [k, v.toString("base64")]));
  }
  const size = [...entries.values()].reduce((sum, v) => sum + v.length, 0);
  if (size > MAX_OBJECT_BYTES) fail(where, `${size} bytes of data, over the API server's 1 MiB per object`);
  return object;
}

function isMapping(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// Into a mapping the document has (or this adds); a field of another type is left for the
// schema to reject.
function addTo(object, field, pairs) {
  if (Object.keys(pairs || {}).length === 0) return;
  if (object[field] === undefined) object[field] = {};
  if (!isMapping(object[field])) return;
  Object.assign(object[field], pairs);
}

// commonLabels and labels with includeSelectors also label a workload's selector and pod
// template; includeTemplates labels the template alone.
function applyLabels(object, pairs, selectors, templates) {
  if (Object.keys(pairs || {}).length === 0) return;
  if (object.metadata === undefined) object.metadata = {};
  if (isMapping(object.metadata)) addTo(object.metadata, "labels", pairs);
  const spec = object.spec;
  if (!isMapping(spec)) return;
  if (selectors && object.kind === "Service") addTo(spec, "selector", pairs);
  else if (selectors && isMapping(spec.selector)) addTo(spec.selector, "matchLabels", pairs);
  if ((selectors || templates) && isMapping(spec.template)) {
    if (spec.template.metadata === undefined) spec.template.metadata = {};
    if (isMapping(spec.template.metadata)) addTo(spec.template.metadata, "labels", pairs);
  }
}

// kustomization: its parsed document; file: its path. Returns { resources: [path],
// generated: [{ where, object }], transform(object), notes } or throws a KustomizeError.
function readKustomization(kustomization, file) {
  const dir = path.dirname(file);
  const where = file;
  const isKustomization = (k) => k && k.apiVersion === "kustomize.config.k8s.io/v1beta1" && k.kind === "Kustomization";
  if (!isKustomization(kustomization)) {
    fail(where, "expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
  }
  for (const key of Object.keys(mapping(kustomization, where))) {
    if (NOT_RENDERED.has(key)) {
      fail(where, `${key}: a kustomize field this check does not render; teach tests/dashboards/k8s/kustomize.js it`);
    }
    if (!RENDERED.has(key)) fail(where, `unknown field ${key} (not a Kustomization field)`);
  }
  const resources = list(kustomization.resources, `${where}: resources`).map((resource, i) => {
    const full = inside(dir, resource, `${where}: resources[${i}]`);
    if (!fs.existsSync(full)) fail(`${where}: resources[${i}]`, `${resource} does not exist`);
    if (!fs.statSync(full).isFile()) fail(`${where}: resources[${i}]`, `${resource} is a directory; this check reads files only`);
    return full;
  });
  unknownFields(kustomization.generatorOptions, OPTION_FIELDS, `${where}: generatorOptions`);
  const defaults = mapping(kustomization.generatorOptions, `${where}: generatorOptions`);
  const notes = [];
  const generated = [];
  for (const [field, secret] of [["configMapGenerator", false], ["secretGenerator", true]]) {
    for (const [i, generator] of list(kustomization[field], `${where}: ${field}`).entries()) {
      const at = `${where}: ${field}[${i}]`;
      generated.push({ where: at, object: render(dir, generator, at, secret, defaults, notes) });
    }
  }
  const labels = list(kustomization.labels, `${where}: labels`);
  for (const [i, label] of labels.entries()) {
    unknownFields(entry(label, `${where}: labels[${i}]`), LABEL_FIELDS, `${where}: labels[${i}]`);
    strings(label.pairs, `${where}: labels[${i}].pairs`);
    if (label.fields) fail(`${where}: labels[${i}]`, "fields: custom label paths are not rendered by this check");
  }
  const commonLabels = strings(kustomization.commonLabels, `${where}: commonLabels`);
  const commonAnnotations = strings(kustomization.commonAnnotations, `${where}: commonAnnotations`);
  if (kustomization.namespace !== undefined && typeof kustomization.namespace !== "string") {
    fail(`${where}: namespace`, "expected a string");
  }
  const transform = (object) => {
    if (object.metadata === undefined) object.metadata = {};
    if (kustomization.namespace !== undefined && isMapping(object.metadata)) object.metadata.namespace = kustomization.namespace;
    applyLabels(object, commonLabels, true, true);
    for (const label of labels) {
      applyLabels(object, label.pairs, label.includeSelectors === true, label.includeTemplates === true);
    }
    if (isMapping(object.metadata)) addTo(object.metadata, "annotations", commonAnnotations);
    return object;
  };
  return { resources, generated, transform, notes };
}

module.exports = { KustomizeError, gitignored, readKustomization };
