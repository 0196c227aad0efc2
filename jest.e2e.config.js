/**
 * End-to-end tests against real n8n installs (npm run test:e2e): n8n 2.x on Node 24 and n8n 1.x on
 * Node 20, installed once into .cache/, with the packed package, both emulators and the editor in
 * Debian's Chromium. One file at a time: each starts its own n8n.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { diagnostics: false }],
	},
	globalSetup: '<rootDir>/test/e2e/global-setup.ts',
	maxWorkers: 1,
	// Installing an n8n takes minutes the first time; a CLI command of n8n takes seconds.
	testTimeout: 180_000,
	slowTestThreshold: 60,
};
