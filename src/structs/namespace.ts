// Namespaces: the unit that jobs, allocations, evaluations and deployments live in. The
// "default" namespace always exists and cannot be deleted.
import { DEFAULT_NAMESPACE } from './defaults.js';

export interface NamespaceCapabilities {
  EnabledTaskDrivers: string[] | null;
  DisabledTaskDrivers: string[] | null;
}

export interface Namespace {
  Name: string;
  Description: string;
  /** Quotas are an Enterprise feature: always empty here. */
  Quota: string;
  Capabilities: NamespaceCapabilities | null;
  Meta: Record<string, string> | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** What Nomad accepts as a namespace name. */
export const NAMESPACE_NAME_PATTERN = /^[a-zA-Z0-9-]{1,128}$/;
export const MAX_NAMESPACE_DESCRIPTION_LENGTH = 256;

/** The namespace every cluster starts with, created with the cluster (index 1). */
export function defaultNamespace(): Namespace {
  return { Name: DEFAULT_NAMESPACE, Description: 'Default shared namespace', Quota: '', Capabilities: null, Meta: null, CreateIndex: 1, ModifyIndex: 1 };
}

/** Nomad's checks of one namespace, in its words: every problem at once. */
export function validateNamespace(ns: Namespace): string[] {
  const errors: string[] = [];
  if (!NAMESPACE_NAME_PATTERN.test(ns.Name)) errors.push(`invalid name ${JSON.stringify(ns.Name)}. Must match regex ${NAMESPACE_NAME_PATTERN.source}`);
  if (ns.Description.length > MAX_NAMESPACE_DESCRIPTION_LENGTH) errors.push(`description longer than ${MAX_NAMESPACE_DESCRIPTION_LENGTH}`);
  if (ns.Quota !== '') errors.push('quotas are not supported: resource quotas are a Nomad Enterprise feature');
  return errors;
}
