// API versions Kubernetes no longer serves (its deprecated API migration guide). The schemas
// package keeps them, so a manifest written for an old cluster would pass its validators while
// every current cluster answers "no matches for kind".
"use strict";

// [apiVersion, kinds ("*": all of them), the release that removed them, what replaces them];
// the first entry that matches counts.
const REMOVED = [
  ["extensions/v1beta1", ["DaemonSet", "Deployment", "ReplicaSet"], "1.16", "apps/v1"],
  ["extensions/v1beta1", ["NetworkPolicy"], "1.16", "networking.k8s.io/v1"],
  ["extensions/v1beta1", ["PodSecurityPolicy"], "1.16", "policy/v1beta1, itself removed in 1.25: Pod Security Admission"],
  ["extensions/v1beta1", "*", "1.22", "networking.k8s.io/v1"],
  ["apps/v1beta1", "*", "1.16", "apps/v1"],
  ["apps/v1beta2", "*", "1.16", "apps/v1"],
  ["admissionregistration.k8s.io/v1beta1", ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], "1.22", "admissionregistration.k8s.io/v1"],
  ["apiextensions.k8s.io/v1beta1", "*", "1.22", "apiextensions.k8s.io/v1"],
  ["apiregistration.k8s.io/v1beta1", "*", "1.22", "apiregistration.k8s.io/v1"],
  ["authentication.k8s.io/v1beta1", ["TokenReview"], "1.22", "authentication.k8s.io/v1"],
  ["authorization.k8s.io/v1beta1", "*", "1.22", "authorization.k8s.io/v1"],
  ["certificates.k8s.io/v1beta1", ["CertificateSigningRequest"], "1.22", "certificates.k8s.io/v1"],
  ["coordination.k8s.io/v1beta1", ["Lease"], "1.22", "coordination.k8s.io/v1"],
  ["networking.k8s.io/v1beta1", ["Ingress", "IngressClass"], "1.22", "networking.k8s.io/v1"],
  ["rbac.authorization.k8s.io/v1beta1", "*", "1.22", "rbac.authorization.k8s.io/v1"],
  ["scheduling.k8s.io/v1beta1", "*", "1.22", "scheduling.k8s.io/v1"],
  ["storage.k8s.io/v1beta1", ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], "1.22", "storage.k8s.io/v1"],
  ["batch/v1beta1", "*", "1.25", "batch/v1"],
  ["discovery.k8s.io/v1beta1", "*", "1.25", "discovery.k8s.io/v1"],
  ["events.k8s.io/v1beta1", "*", "1.25", "events.k8s.io/v1"],
  ["autoscaling/v2beta1", "*", "1.25", "autoscaling/v2"],
  ["policy/v1beta1", "*", "1.25", "policy/v1 (PodSecurityPolicy: Pod Security Admission)"],
  ["node.k8s.io/v1beta1", "*", "1.25", "node.k8s.io/v1"],
  ["autoscaling/v2beta2", "*", "1.26", "autoscaling/v2"],
  ["flowcontrol.apiserver.k8s.io/v1beta1", "*", "1.26", "flowcontrol.apiserver.k8s.io/v1"],
  ["storage.k8s.io/v1beta1", ["CSIStorageCapacity"], "1.27", "storage.k8s.io/v1"],
  ["flowcontrol.apiserver.k8s.io/v1beta2", "*", "1.29", "flowcontrol.apiserver.k8s.io/v1"],
  ["flowcontrol.apiserver.k8s.io/v1beta3", "*", "1.32", "flowcontrol.apiserver.k8s.io/v1"],
];

// A sentence for a removed apiVersion/kind, null for one still served.
function removal(apiVersion, kind) {
  const hit = REMOVED.find(([version, kinds]) => version === apiVersion && (kinds === "*" || kinds.includes(kind)));
  if (!hit) return null;
  const [, , release, replacement] = hit;
  return `${apiVersion} ${kind} was removed in Kubernetes ${release}; use ${replacement}`;
}

module.exports = { removal };
