// @ts-check
import eslint from '@eslint/js';
import jest from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * House rules that are not TypeScript-specific: every file, .ts and .js alike.
 * @type {import('eslint').Linter.RulesRecord}
 */
const houseRules = {
  eqeqeq: ['error', 'always'],
  curly: ['error', 'all'],
  'no-console': 'error',
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'coverage/**', 'data/**', 'node_modules/**', 'bench/results/**'],
  },
  eslint.configs.recommended,
  {
    // What is still plain JavaScript, run straight by Node (no build step): the configs
    // (ESLint, Jest, dependency-cruiser), the module generator, the process-test fixture and
    // the scripts that load the built app (scripts/*.mjs). It gets @eslint/js recommended
    // and the house rules, untyped. The bench and the other scripts are TypeScript (see
    // the tsconfig.tools.json block below), type-checked and linted with the type-aware rules.
    //
    // no-console stays on for the tools too, although their stdout/stderr IS the interface
    // (reports, progress, usage): they print on purpose through process.stdout.write /
    // process.stderr.write, so a console.* call is a forgotten debug line that would end up
    // in a report another tool parses.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      // nodeBuiltin, not node: an ES module has no require/module/__dirname.
      globals: { ...globals.nodeBuiltin },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...houseRules,
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'all' }],
    },
  },
  {
    // No "type" in package.json: .js and .cjs are CommonJS (require, module, __dirname).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Type-aware rules on TypeScript only (they would crash on the untyped .js above).
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // Nest reads constructor parameter types at runtime: those imports must stay values.
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // AppConfig is an abstract class used as a DI token and filled from a plain object;
      // Nest's own option types are classes too. Both are deliberate.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      ...houseRules,
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message:
            'Read configuration through AppConfig; process.env belongs to libs/core/src/config.',
        },
      ],
    },
  },
  {
    // The tooling in TypeScript (bench/, scripts/): Node runs it as it is, by stripping the
    // types, so it is type-checked by tsconfig.tools.json (erasable syntax only, .ts import
    // specifiers) and linted against that program, with the same type-aware rules.
    files: ['bench/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './tsconfig.tools.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Type-only imports must say so: Node's type stripping removes only those.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
    },
  },
  {
    // class-validator's IsOptional() lets `null` through to NOT NULL columns (a 500): the
    // domain modules use @OptionalNotNull() from @app/core, which refuses null with a 400.
    // Routes are declared with @Route from @app/core, which routes, restricts and documents
    // in one declaration (docs/OPENAPI.md): Nest's and Swagger's separate route decorators
    // would let the document and the behaviour drift apart again.
    files: ['src/modules/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'class-validator',
              importNames: ['IsOptional'],
              message:
                'IsOptional() accepts null: use OptionalNotNull() from @app/core (undefined only).',
            },
            {
              name: '@nestjs/common',
              importNames: ['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'HttpCode'],
              message: 'Declare routes with @Route.Get/Post/... from @app/core.',
            },
            {
              name: '@nestjs/swagger',
              importNames: [
                'ApiOperation',
                'ApiResponse',
                'ApiOkResponse',
                'ApiCreatedResponse',
                'ApiNoContentResponse',
                'ApiBearerAuth',
                'ApiSecurity',
                'ApiParam',
                'ApiQuery',
                'ApiTags',
              ],
              message:
                'Routes document themselves through @Route, @ApiTag, @IdParam and Field() from @app/core.',
            },
          ],
        },
      ],
    },
  },
  {
    // One persistence pattern (docs/ARCHITECTURE.md, Data and transactions): TypeORM's
    // repository API, and SQL written by hand only in the module's *.sql.ts (and migrations).
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/**/*.sql.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message:
            'Read configuration through AppConfig; process.env belongs to libs/core/src/config.',
        },
        {
          selector: "CallExpression[callee.property.name='createQueryBuilder']",
          message:
            "Use TypeORM's repository API (find/update/...), or a statement in the module's *.sql.ts.",
        },
        {
          selector: "CallExpression[callee.property.name='query']",
          message: "Hand-written SQL runs from the module's *.sql.ts statements (SqlRunner).",
        },
        {
          selector:
            'TemplateLiteral[quasis.0.value.raw=/^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s/]',
          message: "SQL is written by hand only in the module's *.sql.ts.",
        },
        {
          selector: 'Literal[value=/^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s/]',
          message: "SQL is written by hand only in the module's *.sql.ts.",
        },
      ],
    },
  },
  {
    files: ['libs/core/src/config/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.process-spec.ts', 'test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/valid-expect': ['error', { alwaysAwait: true }],
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', '**.expect'] }],
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
