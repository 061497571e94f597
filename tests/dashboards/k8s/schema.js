// One Kubernetes object against its apiVersion/kind's schema, from the kubernetes-models
// package (the API's OpenAPI schemas compiled to validators), plus the fields no schema names.
"use strict";

const { removal } = require("./removed_apis.js");

const MODELS_VERSION = require("kubernetes-models/package.json").version;

// The package has one module per type, top-level kinds and their parts alike: a kind is known
// only if its module's class carries that apiVersion and kind.
function modelFor(apiVersion, kind) {
  const match = /^(?:([a-z0-9][a-z0-9.-]*)\/)?(v[0-9][a-z0-9]*)$/.exec(String(apiVersion));
  if (!match || !/^[A-Z][A-Za-z0-9]*$/.test(String(kind))) return null;
  const [, group, version] = match;
  const module = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  let exports;
  try {
    exports = require(module);
  } catch (error) {
    // A version the package lacks, or a group it lacks.
    if (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw error;
  }
  const model = exports[kind];
  if (!model || model.apiVersion !== apiVersion || model.kind !== kind) return null;
  return model;
}

// The compiled validators ignore fields their schema does not list (the API server rejects
// them under kubectl's strict field validation). Watching which properties a validator reads
// finds them: it reads every property its schema declares, and enumerates the keys of maps.
function watchReads(root) {
  const watched = new Map();
  const enumerated = new Set();
  const watch = (value) => {
    if (value === null || typeof value !== "object") return value;
    const known = watched.get(value);
    if (known) return known.proxy;
    const read = new Set();
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === "string") read.add(key);
        return watch(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === "string") read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        enumerated.add(target);
        return Reflect.ownKeys(target);
      },
    });
    watched.set(value, { proxy, read });
    return proxy;
  };
  const unknownFields = () => {
    const found = [];
    for (const [object, { read }] of watched) {
      // An object whose schema names no property (free-form) is read not at all.
      if (Array.isArray(object) || enumerated.has(object) || read.size === 0) continue;
      for (const key of Object.keys(object)) {
        if (!read.has(key)) found.push({ object, key });
      }
    }
    return found;
  };
  return { proxy: watch(root), unknownFields };
}

// RFC 6901, as in the validators' instancePath: "prometheus.io/port" is "prometheus.io~1port".
function escape(key) {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

// Where each watched object sits in the document, as a JSON pointer.
function pointers(root) {
  const at = new Map();
  const walk = (value, pointer) => {
    if (value === null || typeof value !== "object") return;
    at.set(value, pointer);
    for (const [key, child] of Object.entries(value)) walk(child, `${pointer}/${escape(key)}`);
  };
  walk(root, "");
  return at;
}

// Problems as { pointer, message, unknownKind }, an empty list when the object is valid. `object` is plain
// data (parsed YAML); apiVersion and kind must name a top-level kind.
function validate(object) {
  const removed = removal(object.apiVersion, object.kind);
  if (removed) return [{ pointer: "/apiVersion", message: removed, unknownKind: true }];
  const model = modelFor(object.apiVersion, object.kind);
  if (!model) {
    return [{ pointer: "", message: `unknown kind: no ${object.apiVersion} ${object.kind} in the Kubernetes API schemas`, unknownKind: true }];
  }
  const instance = new model(object);
  const plain = instance.toJSON();
  const { proxy, unknownFields } = watchReads(plain);
  const problems = [];
  try {
    model.prototype.validate.call(proxy);
  } catch (error) {
    if (!Array.isArray(error.errors)) throw error;
    const byPointer = new Map();
    for (const e of error.errors) {
      const messages = byPointer.get(e.instancePath) || [];
      if (!messages.includes(e.message)) messages.push(e.message);
      byPointer.set(e.instancePath, messages);
    }
    for (const [pointer, messages] of byPointer) problems.push({ pointer, message: messages.join("; ") });
  }
  const at = pointers(plain);
  for (const { object: parent, key } of unknownFields()) {
    problems.push({ pointer: `${at.get(parent)}/${escape(key)}`, message: "unknown field (not in the schema)" });
  }
  return problems;
}

module.exports = { MODELS_VERSION, modelFor, validate };
