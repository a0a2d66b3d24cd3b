/**
 * The architecture rules (docs/ARCHITECTURE.md), checked in CI (`npm run lint:arch`):
 * core knows nothing of the domain, a module reaches another only through its exported
 * service (or module, for Nest imports), and nothing is circular.
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
      name: 'modules-talk-through-services',
      comment:
        'A module may use another module only through its *.service.ts (or *.module.ts for Nest imports); never its repository, entities or DTOs.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '\\.service\\.ts$', '\\.module\\.ts$'],
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
