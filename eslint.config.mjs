import tseslint from 'typescript-eslint';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import n8nCommunity from '@n8n/eslint-plugin-community-nodes';

const n8nRules = (name) => n8nNodesBase.configs[name].rules;

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '.e2e/**'] },
	{
		files: ['**/*.ts'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { ecmaVersion: 'latest', sourceType: 'module' },
		},
		plugins: { '@typescript-eslint': tseslint.plugin },
		rules: {
			...tseslint.configs.eslintRecommended.rules,
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			'no-console': 'error',
		},
	},
	{
		files: ['package.json', '.publish/package.json'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: n8nRules('community'),
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nRules('credentials'),
			// Only for n8n's own repository, whose docs URLs are slugs; a community package links a full URL.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nRules('nodes'),
			// These want the string 'main'; current n8n uses NodeConnectionTypes.Main (same value, typed).
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	// The rules n8n's package scanner runs, on the node code and on the published manifest,
	// .publish/package.json (scripts/bundle.js): the development package.json also carries what only
	// development needs (scripts, devDependencies, overrides).
	{
		...n8nCommunity.configs.recommended,
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', '.publish/package.json'],
	},
];
