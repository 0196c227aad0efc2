/**
 * n8n queue mode on one machine, as n8n documents it: Redis (the job queue) and Postgres (the shared
 * database) from Debian's packages, on loopback ports of their own, in folders of their own; an n8n
 * main (`n8n start`) and workers (`n8n worker`) sharing one user folder, each worker with its own
 * health-check and task-broker ports. Shared by `npm start -- --queue`, the queue-mode e2e test and
 * `npm run bench -- --queue`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { freePort, N8nProcess, type N8nInstance } from './instance';

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** Installs redis-server and postgresql with apt-get when they are missing (root, Debian). */
export function ensureQueuePackages(log: (line: string) => void = () => {}): void {
	const missing = [redisServer() ? undefined : 'redis-server', postgresBin() ? undefined : 'postgresql'].filter((p): p is string => Boolean(p));
	if (missing.length === 0) return;
	log(`installing ${missing.join(' and ')} (apt-get)`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
	execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
	if (!redisServer() || !postgresBin()) throw new Error(`apt-get installed ${missing.join(', ')} but redis-server or Postgres' initdb is still not found`);
}

function redisServer(): string | undefined {
	return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((file) => fs.existsSync(file));
}

/** The bin folder of the newest Postgres Debian installed. */
function postgresBin(): string | undefined {
	if (!fs.existsSync(POSTGRES_ROOT)) return undefined;
	const versions = fs.readdirSync(POSTGRES_ROOT).filter((v) => fs.existsSync(path.join(POSTGRES_ROOT, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(POSTGRES_ROOT, versions[0], 'bin') : undefined;
}

export interface QueuePorts {
	redis: number;
	postgres: number;
}

/** Redis and Postgres of one queue-mode cluster, in `dir` (made afresh). */
export class QueueBackends {
	private redis?: ChildProcess;
	private readonly pgData: string;
	private readonly asPostgres: boolean;

	constructor(
		readonly dir: string,
		readonly ports: QueuePorts,
	) {
		this.pgData = path.join(dir, 'pg', 'data');
		// Postgres refuses to run as root: its folder then belongs to the "postgres" user Debian made.
		this.asPostgres = process.getuid?.() === 0;
	}

	/** What every n8n process of the cluster needs in its environment. */
	get n8nEnv(): Record<string, string> {
		return {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.ports.redis),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.ports.postgres),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'n8n',
			DB_POSTGRESDB_PASSWORD: 'n8n',
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		};
	}

	async start(): Promise<void> {
		const bin = postgresBin();
		const redis = redisServer();
		if (!bin || !redis) throw new Error('redis-server and Postgres are needed for queue mode: run ensureQueuePackages() first');
		fs.rmSync(this.dir, { recursive: true, force: true });
		fs.mkdirSync(path.dirname(this.pgData), { recursive: true });
		this.redis = spawn(redis, ['--bind', '127.0.0.1', '--port', String(this.ports.redis), '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
		const redisLog = fs.createWriteStream(path.join(this.dir, 'redis.log'));
		this.redis.stdout!.pipe(redisLog);
		this.redis.stderr!.pipe(redisLog);

		if (this.asPostgres) execFileSync('chown', ['-R', 'postgres', path.dirname(this.pgData)]);
		this.postgres(path.join(bin, 'initdb'), ['-D', this.pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
		const socketDir = path.dirname(this.pgData);
		this.postgres(path.join(bin, 'pg_ctl'), ['-D', this.pgData, '-l', path.join(socketDir, 'postgres.log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -p ${this.ports.postgres} -k ${socketDir}`, 'start']);
		const psql = (sql: string) => execFileSync(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(this.ports.postgres), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
		psql("create user n8n password 'n8n'");
		psql('create database n8n owner n8n');
		await waitForPort(this.ports.redis);
	}

	async stop(): Promise<void> {
		const bin = postgresBin();
		if (bin && fs.existsSync(path.join(this.pgData, 'postmaster.pid'))) {
			try {
				this.postgres(path.join(bin, 'pg_ctl'), ['-D', this.pgData, '-m', 'fast', '-w', 'stop']);
			} catch {
				// already stopped
			}
		}
		if (this.redis && this.redis.exitCode === null) {
			const exited = new Promise((resolve) => this.redis!.once('exit', resolve));
			this.redis.kill('SIGTERM');
			await exited;
		}
	}

	private postgres(command: string, args: string[]): void {
		if (this.asPostgres) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [command, ...args].map(shellQuote).join(' ')], { stdio: 'pipe' });
		else execFileSync(command, args, { stdio: 'pipe' });
	}
}

/** Redis and Postgres on free loopback ports with their data in `dir`: installed when missing, started. */
export async function startQueueBackends(dir: string, log: (line: string) => void = () => {}): Promise<QueueBackends> {
	ensureQueuePackages(log);
	const backends = new QueueBackends(dir, { redis: await freePort(), postgres: await freePort() });
	try {
		await backends.start();
	} catch (error) {
		await backends.stop().catch(() => {});
		throw error;
	}
	return backends;
}

/** `count` workers of a queue-mode instance, each with ports of its own (started by the caller, after n8n). */
export async function workersOf(instance: N8nInstance, count: number, concurrency?: number): Promise<N8nWorker[]> {
	const workers: N8nWorker[] = [];
	for (let i = 1; i <= count; i++) workers.push(new N8nWorker(instance, `worker-${i}`, { health: await freePort(), broker: await freePort() }, concurrency));
	return workers;
}

/** An n8n worker process of a queue-mode instance. */
export class N8nWorker {
	private process?: N8nProcess;

	constructor(
		private readonly instance: N8nInstance,
		readonly name: string,
		private readonly ports: { health: number; broker: number },
		private readonly concurrency = 5,
	) {}

	get logFile(): string {
		return path.join(this.instance.userFolder, `${this.name}.log`);
	}

	/** Executions this worker started (n8n logs "Worker started execution N"). */
	executions(): string[] {
		return [...(this.process?.output ?? '').matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
	}

	get running(): boolean {
		return this.process?.running ?? false;
	}

	get pid(): number | undefined {
		return this.running ? this.process!.pid : undefined;
	}

	async start(timeoutMs = 120_000): Promise<void> {
		const worker = new N8nProcess(this.instance, ['worker', `--concurrency=${this.concurrency}`], this.logFile, {
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(this.ports.health),
			N8N_RUNNERS_BROKER_PORT: String(this.ports.broker),
		});
		this.process = worker;
		const deadline = Date.now() + timeoutMs;
		while (!/worker is now ready/i.test(worker.output)) {
			if (!worker.running) throw new Error(`n8n worker ${this.name} exited:\n${worker.output.slice(-4000)}`);
			if (Date.now() > deadline) throw new Error(`n8n worker ${this.name} did not become ready:\n${worker.output.slice(-4000)}`);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	/** SIGKILL: a worker that dies in the middle of its work. */
	kill(): void {
		this.process?.kill();
	}

	async stop(graceMs = 20_000): Promise<void> {
		await this.process?.stop(graceMs);
	}
}

function shellQuote(arg: string): string {
	return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
	const net = await import('node:net');
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const open = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.end();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (open) return;
		if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
