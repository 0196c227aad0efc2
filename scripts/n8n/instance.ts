/**
 * One n8n instance: a user folder (database, settings, community packages) run by an installed n8n
 * (install.ts) through its CLI, and `n8n start` as a child process. Shared by `npm start` and the
 * end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import type { N8nInstall } from './install';
import { installTarball, PACKAGE } from './package';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTestCertificate } = require('../tls.js') as { ensureTestCertificate(): { keyPath: string; certPath: string } };

export interface Owner {
	email: string;
	password: string;
	firstName: string;
	lastName: string;
}

export interface CliResult {
	code: number | null;
	signal?: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export interface InstanceOptions {
	install: N8nInstall;
	/** Name of the instance: its user folder is <n8n install>/instances/<name>. */
	name: string;
	/** n8n's HTTP port (editor, REST API and webhooks). */
	port: number;
	/**
	 * Ports of the task runner brokers (n8n 2.x) of `n8n start` and of CLI commands that run
	 * workflows: each such process starts its own; default port + 1 and port + 2.
	 */
	brokerPorts?: [number, number];
	/** Start from an empty user folder. */
	fresh?: boolean;
	/** More environment for every n8n process. */
	env?: Record<string, string>;
}

/** What `n8n` needs to run quietly, alone, on loopback, trusting the Graph emulator's certificate. */
export class N8nInstance {
	readonly install: N8nInstall;
	/** N8N_USER_FOLDER; n8n keeps its data in <userFolder>/.n8n. */
	readonly userFolder: string;
	readonly port: number;
	readonly url: string;
	private readonly brokerPorts: [number, number];
	private readonly extraEnv: Record<string, string>;
	private server?: N8nProcess;
	/** What the last `n8n start` printed, after it stopped. */
	private lastOutput = '';
	private cookie?: string;
	/** CLI commands running now (stopped with the server). */
	private readonly commands = new Set<ChildProcess>();

	constructor(options: InstanceOptions) {
		this.install = options.install;
		// The user folder lives inside n8n's install folder: walking up from the installed package,
		// Node finds n8n's own node_modules (n8n-workflow included) and never the project's.
		this.userFolder = path.join(options.install.dir, 'instances', options.name);
		this.port = options.port;
		this.url = `http://127.0.0.1:${options.port}`;
		this.brokerPorts = options.brokerPorts ?? [options.port + 1, options.port + 2];
		this.extraEnv = options.env ?? {};
		if (options.fresh) fs.rmSync(this.userFolder, { recursive: true, force: true });
		fs.mkdirSync(this.userFolder, { recursive: true });
	}

	get version(): string {
		return this.install.target.n8n;
	}

	get major(): number {
		return Number(this.version.split('.')[0]);
	}

	/** The environment of every n8n process of this instance. */
	env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
		const env: NodeJS.ProcessEnv = {};
		// Only what n8n needs from ours: no npm_* or jest variables, no N8N_* from the caller's shell.
		for (const key of ['HOME', 'LANG', 'TZ', 'TMPDIR', 'USER', 'SHELL']) if (process.env[key] !== undefined) env[key] = process.env[key];
		Object.assign(env, {
			PATH: this.install.path,
			NODE_EXTRA_CA_CERTS: ensureTestCertificate().certPath,
			N8N_USER_FOLDER: this.userFolder,
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PORT: String(this.port),
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${this.url}/`,
			WEBHOOK_URL: `${this.url}/`,
			N8N_SECURE_COOKIE: 'false',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPorts[0]),
			DB_TYPE: 'sqlite',
			GENERIC_TIMEZONE: 'UTC',
			N8N_LOG_LEVEL: 'warn',
			NODE_ENV: 'production',
			...this.extraEnv,
			...overrides,
		});
		return env;
	}

	/** Runs `n8n <args>` (a CLI command) to its end. */
	cli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; killWhen?: () => boolean } = {}): Promise<CliResult> {
		return new Promise((resolve, reject) => {
			// CLI commands that run workflows start their own task runner broker: another port than the
			// server's, so they can run while n8n is up.
			const child = spawn(this.install.nodeBin, [this.install.n8nBin, ...args], {
				cwd: this.userFolder,
				env: this.env({ N8N_RUNNERS_BROKER_PORT: String(this.brokerPorts[1]), ...options.env }),
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			this.commands.add(child);
			let stdout = '';
			let stderr = '';
			child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
			child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
			const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
			// A crash in the middle of the work, for the tests that show nothing is lost by one.
			const watcher = options.killWhen && setInterval(() => options.killWhen!() && child.kill('SIGKILL'), 20);
			child.on('error', (error) => {
				clearTimeout(timer);
				if (watcher) clearInterval(watcher);
				reject(error);
			});
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				if (watcher) clearInterval(watcher);
				this.commands.delete(child);
				resolve({ code, signal, stdout, stderr });
			});
		});
	}

	/** Like cli(), but rejects when the command fails. */
	async cliOk(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
		const result = await this.cli(args, options);
		if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} (n8n ${this.version}) exited with ${result.code}:\n${tail(result.stdout)}\n${tail(result.stderr)}`);
		return result;
	}

	/** Installs the package tarball into this instance's community packages folder. */
	async installPackage(tarball: string): Promise<{ dir: string; version: string }> {
		return await installTarball(this.userFolder, tarball);
	}

	/** The installed package's folder. */
	get packageDir(): string {
		return path.join(this.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE.name);
	}

	/** `n8n import:credentials` of plain (unencrypted) credentials; existing ids are overwritten. */
	async importCredentials(credentials: ImportCredential[]): Promise<void> {
		const file = path.join(this.userFolder, 'import-credentials.json');
		fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
		try {
			await this.cliOk(['import:credentials', `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	/** `n8n import:workflow` of workflow files (one command); existing ids are overwritten. */
	async importWorkflows(files: string[]): Promise<void> {
		const dir = path.join(this.userFolder, 'import-workflows');
		fs.rmSync(dir, { recursive: true, force: true });
		fs.mkdirSync(dir);
		for (const file of files) fs.copyFileSync(file, path.join(dir, path.basename(file)));
		try {
			await this.cliOk(['import:workflow', '--separate', `--input=${dir}`]);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	}

	/** Makes a workflow active the way each major does it: publish in 2.x, activate in 1.x. */
	async activateWorkflow(id: string): Promise<void> {
		if (this.major >= 2) await this.cliOk(['publish:workflow', `--id=${id}`]);
		else await this.cliOk(['update:workflow', `--id=${id}`, '--active=true']);
	}

	/** `n8n execute --id` (mode cli, from the workflow's start node): the execution's run data. */
	/** `endsInErrorAt`: nodes whose error is a result, not a failure of the run (the execution is returned). */
	async execute(id: string, options: { timeoutMs?: number; endsInErrorAt?: string[]; env?: Record<string, string> } = {}): Promise<CliExecution> {
		// The command prints the run data through n8n's logger at level info.
		const result = await this.cli(['execute', `--id=${id}`, '--rawOutput'], { timeoutMs: options.timeoutMs ?? 600_000, env: { ...options.env, N8N_LOG_LEVEL: 'info' } });
		const data = firstJsonObject(result.stdout) as CliExecution['data'] | undefined;
		if (!data?.data?.resultData) {
			throw new Error(`n8n execute --id=${id} (n8n ${this.version}) printed no run data (exit ${result.code}):\n${tail(result.stdout, 6000)}\n${tail(result.stderr, 6000)}`);
		}
		const execution = new CliExecution(data);
		if (result.code !== 0 || execution.error) {
			const { error, lastNodeExecuted } = data.data.resultData;
			if (lastNodeExecuted && options.endsInErrorAt?.includes(lastNodeExecuted)) return execution;
			throw new Error(
				`n8n execute --id=${id} (n8n ${this.version}) failed (exit ${result.code}) in node "${lastNodeExecuted}": ${error?.message}` +
					`${error?.description ? ` — ${error.description}` : ''}; nodes run: ${execution.nodesRun.join(', ')}`,
			);
		}
		return execution;
	}

	/**
	 * Runs a workflow inside the running n8n from one of its triggers, as the editor's "Execute
	 * workflow" does (mode manual), and waits for it: unlike `n8n execute`, this runs where n8n's
	 * modules live (Data Tables among them), as a scheduled run does. Needs login() first.
	 * `endsInErrorAt`: nodes whose error is a result, not a failure of the run (the execution is returned).
	 */
	async run(id: string, trigger: string, options: { timeoutMs?: number; endsInErrorAt?: string[] } = {}): Promise<CliExecution> {
		const { executionId } = await this.rest<{ executionId?: string }>('POST', `/workflows/${id}/run`, { triggerToStartFrom: { name: trigger } });
		if (!executionId) throw new Error(`n8n ${this.version} started no execution of workflow ${id} from "${trigger}"`);
		const deadline = Date.now() + (options.timeoutMs ?? 600_000);
		for (;;) {
			const run = await this.finishedExecution(executionId);
			if (run) {
				const { lastNodeExecuted } = run.data.data.resultData;
				if (run.error && !(lastNodeExecuted && options.endsInErrorAt?.includes(lastNodeExecuted))) {
					throw new Error(`execution ${executionId} of workflow ${id} (n8n ${this.version}) failed in node "${lastNodeExecuted}": ${run.error}; nodes run: ${run.nodesRun.join(', ')}`);
				}
				return run;
			}
			if (Date.now() > deadline) throw new Error(`execution ${executionId} of workflow ${id} did not finish in time`);
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}

	/** An execution with its run data once it has ended (after login()); undefined while it runs. */
	async finishedExecution(executionId: string): Promise<CliExecution | undefined> {
		const execution = await this.rest<{ status?: string; finished?: boolean; data?: string }>('GET', `/executions/${executionId}`);
		if (!execution.status || ['new', 'running', 'waiting'].includes(execution.status) || !execution.data) return undefined;
		// n8n stores run data in the "flatted" format; n8n's own copy reads it.
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const flatted = require(path.join(this.install.dir, 'node_modules', 'flatted')) as { parse(text: string): unknown };
		return new CliExecution({ status: execution.status, finished: execution.finished, data: flatted.parse(execution.data) as CliExecution['data']['data'] });
	}

	/** Starts `n8n start` and waits until it answers /healthz and its workflows are active. */
	async start(options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<void> {
		if (this.server) return;
		const server = new N8nProcess(this, ['start'], this.logFile, options.env);
		this.server = server;
		const deadline = Date.now() + (options.timeoutMs ?? 120_000);
		for (;;) {
			if (!server.running) {
				this.server = undefined;
				this.lastOutput = server.output;
				throw new Error(`n8n start (n8n ${this.version}) exited with ${server.exitCode}:\n${tail(server.output, 6000)}`);
			}
			if (Date.now() > deadline) {
				await this.stop();
				throw new Error(`n8n start (n8n ${this.version}) did not become ready:\n${tail(server.output, 6000)}`);
			}
			// Ready = the HTTP server answers and the editor is being served ("Editor is now accessible").
			if (/Editor is now accessible/.test(server.output)) {
				try {
					const response = await fetch(`${this.url}/healthz`);
					if (response.ok) return;
				} catch {
					// not listening yet
				}
			}
			await sleep(250);
		}
	}

	/** Where `n8n start` writes what it prints (rewritten at each start). */
	get logFile(): string {
		return path.join(this.userFolder, 'n8n.log');
	}

	/** What `n8n start` printed so far. */
	get output(): string {
		return this.server?.output ?? this.lastOutput;
	}

	get running(): boolean {
		return this.server !== undefined;
	}

	/** The process id of `n8n start` while it runs. */
	get pid(): number | undefined {
		return this.server?.pid;
	}

	/** Stops `n8n start` and running CLI commands (SIGTERM, then SIGKILL after a grace period). */
	async stop(graceMs = 20_000): Promise<void> {
		for (const command of this.commands) command.kill('SIGTERM');
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		this.cookie = undefined;
		this.lastOutput = server.output;
		await server.stop(graceMs);
	}

	/** Creates the owner account when the instance has none yet (the setup form of a new n8n). */
	async ensureOwner(owner: Owner): Promise<'created' | 'exists'> {
		const response = await fetch(`${this.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ email: owner.email, password: owner.password, firstName: owner.firstName, lastName: owner.lastName }),
		});
		if (response.ok) {
			this.cookie = cookieOf(response) ?? this.cookie;
			return 'created';
		}
		const text = await response.text();
		if (response.status === 400 && /already/i.test(text)) return 'exists';
		throw new Error(`POST /rest/owner/setup answered ${response.status}: ${text}`);
	}

	/** Logs in and keeps the session cookie for rest(). */
	async login(owner: Pick<Owner, 'email' | 'password'>): Promise<void> {
		// Both 1.123 and 2.x take emailOrLdapLoginId (@n8n/api-types LoginRequestDto).
		const body = { emailOrLdapLoginId: owner.email, password: owner.password };
		const response = await fetch(`${this.url}/rest/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		if (!response.ok) throw new Error(`POST /rest/login answered ${response.status}: ${await response.text()}`);
		this.cookie = cookieOf(response);
		if (!this.cookie) throw new Error('POST /rest/login set no cookie');
	}

	/** An authenticated GET of one of n8n's own pages or files (after login()), as JSON. */
	async getJson<T = unknown>(route: string): Promise<T> {
		if (!this.cookie) throw new Error('getJson() needs login() first');
		const response = await fetch(`${this.url}${route}`, { headers: { cookie: this.cookie, 'browser-id': 'ln-exchange-sync-scripts' } });
		const text = await response.text();
		if (!response.ok) throw new Error(`GET ${route} answered ${response.status}: ${text.slice(0, 2000)}`);
		return JSON.parse(text) as T;
	}

	/** An authenticated call of n8n's internal REST API (after login()); returns `data`. */
	async rest<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
		if (!this.cookie) throw new Error('rest() needs login() first');
		const send = () =>
			fetch(`${this.url}/rest${route}`, {
				method,
				headers: { cookie: this.cookie!, 'content-type': 'application/json', 'browser-id': 'ln-exchange-sync-scripts' },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
		// A kept-alive connection n8n closed as it was reused fails the request ("fetch failed"): a read is sent again.
		const response = await send().catch(async (error: Error) => {
			if (method !== 'GET') throw error;
			await sleep(500);
			return await send();
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} /rest${route} answered ${response.status}: ${text.slice(0, 2000)}`);
		const json = text ? JSON.parse(text) : {};
		return (json && typeof json === 'object' && 'data' in json ? json.data : json) as T;
	}

}

/** A credential as `n8n import:credentials` takes it, with plain data. */
export interface ImportCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

interface RunDataEntry {
	executionStatus?: string;
	error?: { message?: string; description?: string };
	data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> };
}

/** What `n8n execute --rawOutput` prints: the execution's full run data. */
export class CliExecution {
	constructor(
		readonly data: {
			status?: string;
			finished?: boolean;
			data: { resultData: { runData: Record<string, RunDataEntry[]>; error?: { message?: string; description?: string }; lastNodeExecuted?: string } };
		},
	) {}

	get error(): string | undefined {
		return this.data.data.resultData.error?.message;
	}

	/** The nodes that ran, in the order of their first run. */
	get nodesRun(): string[] {
		return Object.keys(this.data.data.resultData.runData);
	}

	/** The items of a node's first output, over all its runs. */
	output(node: string, outputIndex = 0): Array<Record<string, unknown>> {
		return (this.data.data.resultData.runData[node] ?? []).flatMap((run) => (run.data?.main?.[outputIndex] ?? []).map((item) => item.json));
	}

	/** Node errors of the run (a node that failed but let the run go on). */
	get nodeErrors(): Array<{ node: string; message: string }> {
		return Object.entries(this.data.data.resultData.runData).flatMap(([node, runs]) =>
			runs.filter((r) => r.error).map((r) => ({ node, message: `${r.error?.message ?? ''}${r.error?.description ? ` — ${r.error.description}` : ''}` })),
		);
	}
}

function cookieOf(response: Response): string | undefined {
	const cookies = response.headers.getSetCookie?.() ?? [];
	const auth = cookies.find((c) => c.startsWith('n8n-auth='));
	return auth?.split(';')[0];
}

/** The first JSON object in a text that starts at the beginning of a line (log lines around it). */
export function firstJsonObject(text: string): unknown {
	let from = 0;
	for (;;) {
		const offset = text.slice(from).search(/^\{/m);
		if (offset < 0) return undefined;
		const start = from + offset;
		let depth = 0;
		let inString = false;
		let escaped = false;
		for (let i = start; i < text.length; i++) {
			const c = text[i];
			if (inString) {
				if (escaped) escaped = false;
				else if (c === '\\') escaped = true;
				else if (c === '"') inString = false;
			} else if (c === '"') inString = true;
			else if (c === '{') depth++;
			else if (c === '}' && --depth === 0) {
				try {
					return JSON.parse(text.slice(start, i + 1));
				} catch {
					break;
				}
			}
		}
		from = start + 1;
	}
}

export function tail(text: string, chars = 3000): string {
	return text.length > chars ? `…${text.slice(-chars)}` : text;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** Whether 127.0.0.1:port can be listened on right now. */
export function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.unref();
		server.on('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/**
 * A long-running n8n command of an instance (`n8n start`, `n8n worker`): what it prints goes to its
 * log file and, the recent part, to memory; stop() sends SIGTERM, then SIGKILL after a grace period.
 */
export class N8nProcess {
	private readonly child: ChildProcess;
	private readonly exited: Promise<void>;
	private text = '';

	constructor(instance: N8nInstance, args: string[], logFile: string, env: Record<string, string> = {}) {
		this.child = spawn(instance.install.nodeBin, [instance.install.n8nBin, ...args], {
			cwd: instance.userFolder,
			env: instance.env({ ...env, N8N_LOG_LEVEL: 'info' }),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const log = fs.createWriteStream(logFile);
		const collect = (chunk: Buffer) => {
			log.write(chunk);
			this.text += chunk.toString();
			if (this.text.length > 400_000) this.text = this.text.slice(-200_000);
		};
		this.child.stdout!.on('data', collect);
		this.child.stderr!.on('data', collect);
		this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
		void this.exited.then(() => log.end());
	}

	get output(): string {
		return this.text;
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	get exitCode(): number | null {
		return this.child.exitCode;
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	kill(): void {
		this.child.kill('SIGKILL');
	}

	async stop(graceMs = 20_000): Promise<void> {
		if (!this.running) return;
		this.child.kill('SIGTERM');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
		await this.exited;
		clearTimeout(timer);
	}
}
