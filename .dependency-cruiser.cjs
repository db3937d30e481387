/** Architecture rules checked by `npm run lint` (dependency-cruiser). */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain is plain TypeScript: no framework, ORM, broker or cache imports.',
      severity: 'error',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: 'node_modules/(@nestjs|typeorm|kafkajs|ioredis|pg|express)/' },
    },
    {
      name: 'domain-does-not-reach-out',
      comment: 'src/domain imports only other domain files, @app/contracts and node builtins.',
      severity: 'error',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: '^(services/[^/]+/src/(?!domain/)|libs/(?!contracts/))' },
    },
    {
      name: 'services-share-only-libs',
      comment: 'A service never imports another service: they share events and public HTTP APIs only.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'contracts-stay-plain',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: 'node_modules/(@nestjs|typeorm|kafkajs|ioredis|pg)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$|\\.e2e-spec\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
