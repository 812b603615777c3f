// ESLint flat config: typescript-eslint's type-aware rules (recommendedTypeChecked) over every file of
// the TypeScript project; the .mjs scripts (outside tsconfig) get the untyped rules. Formatting is
// Prettier's job (.prettierrc.json), so no stylistic rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeTest = { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] };

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.ci/', 'data/', '.tmp/', 'charts/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test()/describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTest] }],
      // Off: async methods that implement an async interface over a synchronous backend (SQLite,
      // the in-memory KV) are deliberate — `async` turns a synchronous throw into a rejection, which
      // callers handle as they would the networked backend's.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Stricter than recommended where it cost almost nothing to adopt: a switch over a union (stream
      // states, enum names) must cover it or say default; == only for null; deprecated APIs are
      // replaced as they come; a returned promise inside try is awaited so the catch sees it.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    // Tests, and the Kubernetes API emulator the operator's tests run against, handle schemaless
    // JSON (Kubernetes objects, protocol replies) on purpose: the emulator's `Json` is `any` as the
    // API server's objects are, and a test's assertion is its check. The no-unsafe-* family stays
    // on for everything that ships.
    files: ['**/*.spec.ts', '**/*.e2e.ts', '**/*.contract.ts', 'test/**/*.ts', 'operator/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `Json | undefined` says "may be absent" even though Json is any.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
