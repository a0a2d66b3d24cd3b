/**
 * The architecture rules (docs/ARCHITECTURE.md), checked in CI (`npm run lint:arch`):
 * core knows nothing of the domain, a module reaches another only through its public
 * entry (index.ts), and nothing is circular.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'core-is-domain-agnostic',
      comment: 'libs/core must not import the application or its domain modules.',
      severity: 'error',
      from: { path: '^libs/core' },
      to: { path: '^src/' },
    },
    {
      name: 'modules-talk-through-their-index',
      comment:
        'A module uses another only through its public entry, src/modules/<name>/index.ts (its Nest module, service, contract types and errors); never its repository, entities, DTOs or internals.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'the-app-uses-module-entries',
      comment:
        'Outside the modules (app.module.ts, the CLI), a module is reached through its index.ts, its *.module.ts where the Nest generator declares it, or its *.config.ts (also one folder down: auth/mfa/mfa.config.ts) where src/config.ts lists the config sections.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: {
        path: '^src/modules/',
        pathNot: [
          '^src/modules/[^/]+/index\\.ts$',
          '^src/modules/[^/]+/[^/]+\\.module\\.ts$',
          '^src/modules/[^/]+/[^/]+\\.config\\.ts$',
          '^src/modules/[^/]+/[^/]+/[^/]+\\.config\\.ts$',
        ],
      },
    },
    {
      name: 'no-circular',
      comment: 'Except between the entities of one module (TypeORM bidirectional relations).',
      severity: 'error',
      from: { pathNot: '\\.entity\\.ts$' },
      to: { circular: true },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^test/|\\.spec\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
