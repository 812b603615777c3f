import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type GliderConfig } from './config.schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** YAML or JSON file; defaults to $GLIDER_CONFIG. */
  file?: string;
  /** Defaults to process.env; GLIDER_<SECTION>__<KEY>=value, e.g. GLIDER_EDGE__C2S_PORT=5222. */
  env?: NodeJS.ProcessEnv;
  /** Applied last (tests, and what an app forces, such as bus.kind for standalone). */
  overrides?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

/**
 * The only reader of process.env in Glider. Merges defaults ← file ← env ← overrides and validates
 * the result; a bad value throws ConfigError naming the key and where it came from.
 */
export function loadConfig(opts: LoadConfigOptions = {}): GliderConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.GLIDER_CONFIG;
  const origin = new Map<string, string>();
  let tree: Tree = {};
  if (file) {
    tree = readConfigFile(file);
    markOrigins(tree, [], `file ${file}`, origin);
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('GLIDER_') || name === 'GLIDER_CONFIG' || raw === undefined) continue;
    const path = resolveEnvPath(name.slice('GLIDER_'.length));
    if (!path) throw new ConfigError(`config: ${name} names no setting (GLIDER_<SECTION>__<KEY>, e.g. GLIDER_EDGE__C2S_PORT)`);
    setPath(tree, path, parseEnvValue(raw, path));
    origin.set(path.join('.'), `env ${name}`);
  }
  if (opts.overrides) deepMerge(tree, opts.overrides);
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.') || '(root)';
    const from = origin.get(key) ?? nearestOrigin(key, origin);
    const extra = issue.code === 'unrecognized_keys' ? `: unknown key(s) ${issue.keys.join(', ')}` : `: ${issue.message}`;
    throw new ConfigError(`config: ${key}${extra}${from ? ` (from ${from})` : ''}`);
  }
  return parsed.data;
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`config: ${file} must hold a mapping at the top`);
  return data as Tree;
}

/** EDGE__C2S_PORT → ['edge', 'c2sPort'], matching schema keys without case or underscores. */
function resolveEnvPath(rest: string): string[] | undefined {
  const parts = rest.split('__');
  const path: string[] = [];
  let shape: z.ZodType | undefined = configSchema;
  for (const part of parts) {
    const obj = unwrapObject(shape);
    if (!obj) {
      // inside a free-form record (features.*): keep the name as written, lower camel case
      if (path[0] === 'features') {
        path.push(part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
        continue;
      }
      return undefined;
    }
    const want = part.replace(/_/g, '').toLowerCase();
    const key = Object.keys(obj.shape).find((k) => k.toLowerCase() === want);
    if (!key) return undefined;
    path.push(key);
    shape = obj.shape[key] as z.ZodType;
  }
  return path;
}

function unwrapObject(shape: z.ZodType | undefined): z.ZodObject | undefined {
  let s: unknown = shape;
  while (s && !(s instanceof z.ZodObject)) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else return undefined;
  }
  return s instanceof z.ZodObject ? s : undefined;
}

function parseEnvValue(raw: string, path: string[]): unknown {
  const trimmed = raw.trim();
  if (/^(true|false)$/.test(trimmed)) return trimmed === 'true';
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      throw new ConfigError(`config: ${path.join('.')}: not valid JSON: ${trimmed}`);
    }
  }
  if (isArrayKey(path))
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

function isArrayKey(path: string[]): boolean {
  let shape: unknown = configSchema;
  for (const key of path) {
    const obj = unwrapObject(shape as z.ZodType | undefined);
    if (!obj) return false;
    shape = obj.shape[key];
  }
  while (shape instanceof z.ZodDefault || shape instanceof z.ZodOptional) shape = shape.unwrap();
  return shape instanceof z.ZodArray;
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Tree;
  }
  node[path.at(-1)!] = value;
}

function deepMerge(target: Tree, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') {
      deepMerge(target[k] as Tree, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

function markOrigins(tree: unknown, path: string[], from: string, origin: Map<string, string>): void {
  if (path.length) origin.set(path.join('.'), from);
  if (tree && typeof tree === 'object' && !Array.isArray(tree)) {
    for (const [k, v] of Object.entries(tree)) markOrigins(v, [...path, k], from, origin);
  }
}

function nearestOrigin(key: string, origin: Map<string, string>): string | undefined {
  const parts = key.split('.');
  while (parts.length) {
    const found = origin.get(parts.join('.'));
    if (found) return found;
    parts.pop();
  }
  return undefined;
}

/**
 * For a process's entry point: a bad config ends the process with the key named (exit 78,
 * EX_CONFIG) before anything listens, rather than a stack trace.
 */
export function loadConfigOrExit(role: string): GliderConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`glider-${role}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
