/**
 * Builds and packs this package, and installs the tarball into an n8n user folder the way n8n's
 * community-package installer does (n8n 2.40.7 dist/modules/community-packages/
 * community-packages.service.js, downloadPackage): the tarball is unpacked into
 * `<user folder>/.n8n/nodes/node_modules/<name>`, its package.json loses devDependencies,
 * peerDependencies and optionalDependencies, and `npm install` runs inside that folder without
 * scripts, bin links or a lock file, so only the runtime dependencies are installed next to it.
 * `n8n-workflow` is a peer: it is NOT installed; at run time the package's `require('n8n-workflow')`
 * resolves to n8n's own copy (n8n puts its module paths on NODE_PATH before it loads packages,
 * dist/load-nodes-and-credentials.js init()).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CACHE_DIR, PROJECT_DIR, run } from './install';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PACKAGE = require('../../package.json') as { name: string; version: string };

const npm = 'npm';
export const PACK_DIR = path.join(CACHE_DIR, 'pack');

/** The tarball `npm pack` makes for this version of the package. */
export function tarballPath(): string {
	return path.join(PACK_DIR, `${PACKAGE.name}-${PACKAGE.version}.tgz`);
}

/** `npm run build`, then `npm pack .publish` into .cache/pack; returns the tarball. */
export async function buildAndPack(options: { build?: boolean } = {}): Promise<string> {
	if (options.build !== false) await run(npm, ['run', 'build', '--silent'], { cwd: PROJECT_DIR });
	fs.mkdirSync(PACK_DIR, { recursive: true });
	// .publish/ is the package as published (scripts/bundle.js): dist/ with its bundled libraries, the workflows, the manifest.
	const output = await run(npm, ['pack', './.publish', '--json', '--pack-destination', PACK_DIR, '--loglevel=error'], { cwd: PROJECT_DIR });
	const json = output.slice(output.indexOf('['));
	const [{ filename }] = JSON.parse(json) as Array<{ filename: string }>;
	return path.join(PACK_DIR, path.basename(filename));
}

/** `<user folder>/.n8n/nodes`, n8n's community packages folder. */
export function nodesDir(userFolder: string): string {
	return path.join(userFolder, '.n8n', 'nodes');
}

/** Installs the tarball as n8n's community-package installer would; replaces an earlier install. */
export async function installTarball(userFolder: string, tarball: string): Promise<{ dir: string; version: string }> {
	const nodes = nodesDir(userFolder);
	const dir = path.join(nodes, 'node_modules', PACKAGE.name);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
	const packageJsonPath = path.join(dir, 'package.json');
	// eslint-disable-next-line @typescript-eslint/no-unused-vars
	const { devDependencies, peerDependencies, optionalDependencies, ...packageJson } = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8'));
	fs.writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2));
	await run(npm, ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', '--loglevel=error'], {
		cwd: dir,
	});
	// The folder's own package.json lists the installed packages, as n8n keeps it.
	const listPath = path.join(nodes, 'package.json');
	let list: { name?: string; private?: boolean; dependencies?: Record<string, string> } = {};
	try {
		list = JSON.parse(fs.readFileSync(listPath, 'utf8'));
	} catch {
		list = { name: 'installed-nodes', private: true };
	}
	list.dependencies = { ...list.dependencies, [PACKAGE.name]: packageJson.version };
	fs.writeFileSync(listPath, JSON.stringify(list, null, 2));
	return { dir, version: packageJson.version };
}
