// ESLint for the whole monorepo (`npm run lint`, with dependency-cruiser's import rules).
// A small set that finds bugs: the recommended rules of ESLint and typescript-eslint, plus the
// type-aware ones about promises, since an unawaited promise here is a lost write or a crash.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      // `any` is how tests read loosely typed JSON answers; production code keeps to unknown.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Terminal output is made and checked with escape sequences on purpose.
      'no-control-regex': 'off',
      // Style, not bugs.
      'no-regex-spaces': 'off',
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    // node:test's describe() and test() return promises the runner awaits itself.
    files: ['**/*.test.ts', '**/test-support.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // Routes and pages reach the store only through services (dependency-cruiser checks the
    // imports; this checks the handle every route is given).
    files: ['packages/server/src/routes/**/*.ts', 'packages/server/src/dashboard/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/server/src/dashboard/test-support.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='store'][object.property.name='services']", message: 'Routes and pages call a service; they do not use the store.' },
        { selector: "MemberExpression[property.name='store'][object.name='services']", message: 'Routes and pages call a service; they do not use the store.' },
        { selector: "VariableDeclarator[init.property.name='services'] > ObjectPattern > Property[key.name='store']", message: 'Routes and pages call a service; they do not use the store.' },
        { selector: "VariableDeclarator[init.name='services'] > ObjectPattern > Property[key.name='store']", message: 'Routes and pages call a service; they do not use the store.' },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { globals: globals.node } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  // The dashboard's one script runs in the browser.
  { files: ['packages/server/src/dashboard/assets/*.js'], languageOptions: { sourceType: 'script', globals: globals.browser } },
);
