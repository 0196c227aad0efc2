import { createHash, randomFillSync } from 'node:crypto';

/**
 * Identifiers in the shapes Exchange uses. Item ids are opaque to clients but decodable here: the
 * payload names the kind of item, the mailbox (so an id used on another mailbox is not found), the
 * item key and, for occurrences, the original start. The same payload has two spellings: the
 * "regular" REST id and the `Prefer: IdType="ImmutableId"` id; both are accepted on input.
 */
export type RefKind = 'event' | 'occurrence' | 'contact' | 'folder';

export interface ItemRef {
	kind: RefKind;
	/** 32 hex chars. For occurrences: the series master's key. */
	key: string;
	/** Occurrences only: original start, epoch ms. */
	ts?: number;
}

const KIND_BYTE: Record<RefKind, number> = { event: 1, occurrence: 2, contact: 3, folder: 4 };
const BYTE_KIND = new Map<number, RefKind>(Object.entries(KIND_BYTE).map(([k, v]) => [v, k as RefKind]));
const REGULAR_PREFIX = 'AAMkA';
const IMMUTABLE_PREFIX = 'AAkALg';

/**
 * Random bytes from a pool filled 4 KB at a time: the emulator makes an id, a change key or two for
 * every item written (hundreds of thousands in a benchmark), and one system call each was seconds of CPU.
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function randomBytes(size: number): Buffer {
	if (poolUsed + size > pool.length) {
		randomFillSync(pool);
		poolUsed = 0;
	}
	// A copy: callers may keep the bytes, and the pool is filled again.
	const bytes = Buffer.from(pool.subarray(poolUsed, poolUsed + size));
	poolUsed += size;
	return bytes;
}

export function newKey(): string {
	return randomBytes(16).toString('hex');
}

/** A key for refs in maps and delta state. */
export function refString(ref: ItemRef): string {
	return ref.ts === undefined ? `${ref.kind}:${ref.key}` : `${ref.kind}:${ref.key}:${ref.ts}`;
}

export function parseRefString(text: string): ItemRef {
	const [kind, key, ts] = text.split(':');
	return ts === undefined ? { kind: kind as RefKind, key } : { kind: kind as RefKind, key, ts: Number(ts) };
}

/** Exchange's base64 flavour in ids: `/` → `-`, `+` → `_`, padding kept. */
function toExchangeBase64(bytes: Buffer): string {
	return bytes.toString('base64').replace(/\//g, '-').replace(/\+/g, '_');
}

function fromExchangeBase64(text: string): Buffer | undefined {
	if (!/^[A-Za-z0-9\-_]+=*$/.test(text)) return undefined;
	return Buffer.from(text.replace(/-/g, '/').replace(/_/g, '+'), 'base64');
}

export function encodeId(ref: ItemRef, mailboxTag: Buffer, immutable: boolean): string {
	const parts = [Buffer.from([KIND_BYTE[ref.kind]]), mailboxTag, Buffer.from(ref.key, 'hex')];
	if (ref.ts !== undefined) {
		const ts = Buffer.alloc(8);
		ts.writeBigInt64BE(BigInt(ref.ts));
		parts.push(ts);
	}
	const payload = Buffer.concat(parts);
	if (!immutable) return REGULAR_PREFIX + toExchangeBase64(Buffer.concat([Buffer.from([0x47, 0x00]), payload]));
	// The immutable spelling stores the same payload reversed, so the two forms differ throughout.
	return IMMUTABLE_PREFIX + toExchangeBase64(Buffer.concat([Buffer.from([0x0d, 0x01]), Buffer.from(payload).reverse()]));
}

export function decodeId(id: string): { ref: ItemRef; mailboxTag: Buffer } | undefined {
	let payload: Buffer | undefined;
	if (id.startsWith(IMMUTABLE_PREFIX)) {
		const bytes = fromExchangeBase64(id.slice(IMMUTABLE_PREFIX.length));
		if (!bytes || bytes.length < 2 || bytes[0] !== 0x0d || bytes[1] !== 0x01) return undefined;
		payload = Buffer.from(bytes.subarray(2)).reverse();
	} else if (id.startsWith(REGULAR_PREFIX)) {
		const bytes = fromExchangeBase64(id.slice(REGULAR_PREFIX.length));
		if (!bytes || bytes.length < 2 || bytes[0] !== 0x47 || bytes[1] !== 0x00) return undefined;
		payload = bytes.subarray(2);
	} else {
		return undefined;
	}
	if (payload.length !== 25 && payload.length !== 33) return undefined;
	const kind = BYTE_KIND.get(payload[0]);
	if (!kind) return undefined;
	const mailboxTag = payload.subarray(1, 9);
	const key = payload.subarray(9, 25).toString('hex');
	if (payload.length === 33) {
		if (kind !== 'occurrence') return undefined;
		return { ref: { kind, key, ts: Number(payload.readBigInt64BE(25)) }, mailboxTag };
	}
	if (kind === 'occurrence') return undefined;
	return { ref: { kind, key }, mailboxTag };
}

export function newGuid(): string {
	return formatGuid(randomBytes(16));
}

/** A GUID derived from a text, so seeded users and the default app keep their ids across runs. */
export function guidFrom(text: string): string {
	return formatGuid(createHash('sha256').update(text).digest().subarray(0, 16));
}

function formatGuid(bytes: Buffer): string {
	const b = Buffer.from(bytes);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	const hex = b.toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function mailboxTagFor(userId: string): Buffer {
	return createHash('sha256').update(`mailbox:${userId.toLowerCase()}`).digest().subarray(0, 8);
}

/** Exchange change keys are base64 of an opaque 28-byte blob. */
export function newChangeKey(): string {
	return randomBytes(21).toString('base64');
}

/** A stable change key for a computed occurrence: it changes when the master changes. */
export function derivedChangeKey(masterChangeKey: string, ts: number): string {
	return createHash('sha256').update(`${masterChangeKey}:${ts}`).digest().subarray(0, 21).toString('base64');
}

const ICAL_CLASS_ID = '040000008200E00074C5B7101A82E008';
const FILETIME_EPOCH_OFFSET_MS = 11644473600000n;

/**
 * An Exchange "global object id" as Graph shows it in iCalUId: class id, instance date (zero for
 * the series/single item, the occurrence's date for an occurrence), creation FILETIME, reserved
 * bytes, data length and a random uid. Hence iCalUId differs per occurrence, as in Graph.
 */
export function newICalUId(createdMs: number): string {
	const filetime = Buffer.alloc(8);
	filetime.writeBigUInt64LE((BigInt(createdMs) + FILETIME_EPOCH_OFFSET_MS) * 10000n);
	return (
		ICAL_CLASS_ID +
		'00000000' +
		filetime.toString('hex').toUpperCase() +
		'0000000000000000' +
		'10000000' +
		randomBytes(16).toString('hex').toUpperCase()
	);
}

export function occurrenceICalUId(seriesICalUId: string, originalStartMs: number): string {
	const d = new Date(originalStartMs);
	const instance = Buffer.alloc(4);
	instance.writeUInt16BE(d.getUTCFullYear(), 0);
	instance.writeUInt8(d.getUTCMonth() + 1, 2);
	instance.writeUInt8(d.getUTCDate(), 3);
	return ICAL_CLASS_ID + instance.toString('hex').toUpperCase() + seriesICalUId.slice(ICAL_CLASS_ID.length + 8);
}

export function opaqueToken(bytes = 24): string {
	return randomBytes(bytes).toString('base64url');
}
