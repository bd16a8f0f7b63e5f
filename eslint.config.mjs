// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Lint is syntax-only (no type information) so `npm run lint` stays fast on a 2-core machine; `tsc` (via
 * `npm run build`) does the type checking. Formatting is Prettier's job (`prettier --check .`), so no style rules here.
 */

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'fetch',
    'Response',
    'Request',
    'Headers',
    'performance',
    'structuredClone',
    'queueMicrotask',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

// Orchestrators are replayed by the Durable engine and must be deterministic: all I/O happens in activities, which
// reach storage, Cosmos and Azure ML through ports implemented in adapters/.
const ioModules = [
  '@azure/arm-machinelearning',
  '@azure/cosmos',
  '@azure/eventgrid',
  '@azure/identity',
  '@azure/storage-blob',
  'better-sqlite3',
  'sharp',
  'child_process',
  'dgram',
  'dns',
  'fs',
  'fs/promises',
  'http',
  'https',
  'http2',
  'net',
  'tls',
  'worker_threads',
];
const ioPaths = ioModules.flatMap((name) => {
  const message =
    'Orchestrators must be deterministic and do no I/O: call an activity, which uses a port from shared/ports.';
  return name.startsWith('@') || name === 'better-sqlite3' || name === 'sharp'
    ? [{ name, message }]
    : [
        { name, message },
        { name: `node:${name}`, message },
      ];
});
const adaptersPattern = {
  regex: '(^|/)adapters(/|$)',
  message: 'Depend on a port in shared/ports; adapters are wired in by the function that hosts the activity.',
};
const devhostPattern = {
  regex: '(^|/)devhost(/|$)',
  message: 'The app must run unmodified on Azure: it cannot depend on the local host.',
};

export default defineConfig(
  globalIgnores(['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'bench/results/**', 'web/dist/**']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: nodeGlobals,
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The shipped app (everything package.json `main` loads) never imports devhost.
    files: ['functions/**/*.ts', 'index.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [devhostPattern] }],
    },
  },
  {
    files: ['orchestrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioPaths,
          patterns: [
            adaptersPattern,
            devhostPattern,
            {
              regex: '^(@azure/(arm-machinelearning|cosmos|eventgrid|identity|storage-blob)|better-sqlite3)/',
              message: 'Orchestrators must be deterministic and do no I/O.',
            },
            {
              regex: '(^|/)shared/(services|ports)(/|$)',
              message:
                'Orchestrators call activities through contracts in shared/workflows; services run in activities.',
            },
          ],
        },
      ],
      // Replays must see the same values: time comes from context.df.currentUtcDateTime, randomness from newGuid.
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Not deterministic on replay: use context.df.currentUtcDateTime.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Not deterministic on replay: use context.df.currentUtcDateTime.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Not deterministic on replay: use context.df.newGuid for ids.',
        },
      ],
    },
  },
  {
    // Pure domain code and port interfaces: no SDKs, no storage engines, no adapters.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: 'shared/ is SDK-free: put storage code in adapters/.' },
            { name: 'durable-functions', message: 'shared/ is SDK-free: Durable wiring belongs in orchestrations/.' },
          ],
          patterns: [
            { regex: '^@azure/', message: 'shared/ is SDK-free: implement a port from shared/ports in adapters/.' },
            adaptersPattern,
            devhostPattern,
          ],
        },
      ],
    },
  },
);
