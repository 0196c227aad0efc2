/**
 * A local npm registry (Verdaccio, from the npm registry, run by Node 24) holding the packed package,
 * so that the install paths n8n documents can be tried as a user takes them: `npm i <name>` in
 * ~/.n8n/nodes, the editor's *Community Nodes → Install*, and n8n 2.x's N8N_COMMUNITY_PACKAGES.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { CACHE_DIR, ensureNode, run } from './install';
import { freePort, sleep } from './instance';

export const VERDACCIO = { version: '6.10.4', node: '24.21.0' };
const VERDACCIO_DIR = path.join(CACHE_DIR, 'verdaccio', VERDACCIO.version);

export class LocalRegistry {
	private process?: ChildProcess;
	private output = '';
	readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-'));
	url = '';
	private token = '';

	/** Installs Verdaccio into .cache/ once, then starts it on a free loopback port with an empty storage. */
	async start(log: (line: string) => void = () => {}): Promise<void> {
		const { nodeBin } = await ensureNode(VERDACCIO.node, log);
		const bin = path.join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
		if (!fs.existsSync(bin)) {
			log(`installing verdaccio ${VERDACCIO.version} into ${path.relative(CACHE_DIR, VERDACCIO_DIR)}`);
			fs.mkdirSync(VERDACCIO_DIR, { recursive: true });
			await run('npm', ['install', '--prefix', VERDACCIO_DIR, '--no-audit', '--no-fund', '--loglevel=error', `verdaccio@${VERDACCIO.version}`], {
				env: { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}` },
			});
		}
		const port = await freePort();
		this.url = `http://127.0.0.1:${port}/`;
		const config = path.join(this.dir, 'config.yaml');
		fs.writeFileSync(
			config,
			[
				`storage: ${path.join(this.dir, 'storage')}`,
				'auth:',
				'  htpasswd:',
				`    file: ${path.join(this.dir, 'htpasswd')}`,
				'    max_users: 10',
				'uplinks: {}',
				'packages:',
				"  '**':",
				'    access: $all',
				'    publish: $authenticated',
				'log: { type: stdout, format: pretty, level: warn }',
			].join('\n') + '\n',
		);
		this.process = spawn(nodeBin, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
		const collect = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
		this.process.stdout!.on('data', collect);
		this.process.stderr!.on('data', collect);
		for (let i = 0; i < 300; i++) {
			try {
				if ((await fetch(`${this.url}-/ping`)).ok) return;
			} catch {
				// not listening yet
			}
			if (this.process.exitCode !== null) break;
			await sleep(100);
		}
		throw new Error(`verdaccio did not start on ${this.url}:\n${this.output}`);
	}

	/** Publishes a tarball as a signed-up user of this registry (npm's own adduser request). */
	async publish(tarball: string): Promise<void> {
		if (!this.token) {
			const user = { name: 'e2e', password: 'e2e-registry-password', type: 'user', roles: [] };
			const response = await fetch(`${this.url}-/user/org.couchdb.user:${user.name}`, {
				method: 'PUT',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(user),
			});
			const body = (await response.json()) as { token?: string; error?: string };
			if (!body.token) throw new Error(`verdaccio refused the user: ${response.status} ${body.error ?? ''}`);
			this.token = body.token;
		}
		await run('npm', ['publish', tarball, '--userconfig', this.npmrc(), '--loglevel=error'], { cwd: this.dir });
	}

	/** An npm user config that points npm at this registry (with the token when publishing). */
	npmrc(): string {
		const file = path.join(this.dir, '.npmrc');
		const host = this.url.replace(/^http:/, '');
		fs.writeFileSync(file, `registry=${this.url}\n${this.token ? `${host}:_authToken=${this.token}\n` : ''}`);
		return file;
	}

	async stop(): Promise<void> {
		this.process?.kill();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
