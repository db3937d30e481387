/** Two projects: `unit` (pure logic, no infrastructure) and `integration` (real Kafka, Postgres, Redis). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const moduleNameMapper = {
  '^@app/(contracts|messaging|observability|platform|testing)$': '<rootDir>/libs/$1/src',
};
module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{services,libs,deploy,bench,test}/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.e2e-spec\\.ts$'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{services,libs,deploy,bench,test}/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.disruptive\\.e2e-spec\\.ts$'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/setup-after-env.ts'],
    },
    {
      // Tests that stop or restart Kafka, Postgres or Redis themselves: run alone, after the rest.
      displayName: 'disruptive',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{services,libs,deploy}/**/*.disruptive.e2e-spec.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/setup-after-env.ts'],
    },
  ],
};
