// Parley's lint: the recommended rules of ESLint and typescript-eslint, the set that needs no type information so
// `npm run lint` stays fast (tsc checks the types). CI runs it before the type check.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', 'src/generated/', 'test/gql/', 'bench/.tmp/', 'coverage/', 'test-output/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    // The server, its tests, scripts and benchmarks, and the configuration files at the root: Node, ES modules.
    files: ['{src,test,scripts,bench}/**/*.{ts,mjs}', 'prisma/seed.ts', '*.{ts,js}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks a name kept on purpose (a hook's unused parameter, `for (const _ of text)`), and
      // rest destructuring is how a field is left out of a copy (`const { passwordHash: _hash, ...row } = user`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Parley's input rules match control characters on purpose, to refuse them (text-rules.ts, auth/trusted.ts).
      'no-control-regex': 'off',
    },
  },
  {
    // The web client: plain JavaScript modules in the browser.
    files: ['web/js/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.browser },
  },
);
