import { badRequest, LnHttpError } from './errors';
import { parseDateTimeOffset, type EntityDef, type FieldDef, type NavDef } from './schema';

/**
 * OData v4 `$filter`: tokenizer, recursive-descent parser with type checking against the entity
 * definitions, and an evaluator over records stored by logical names.
 *
 * Supported: eq ne gt ge lt le in, and or not, parentheses; literals 'string' (with '' escape),
 * integers/decimals, true/false/null, DateTimeOffset (unquoted, Z or offset, fractions) and dates,
 * enum members as strings or qualified (`ns.Enum'Yes'`); functions tolower toupper trim length
 * contains startswith endswith; `Nav/any(a: …)` and `Nav/all(a: …)` on collection navigations.
 */

type ValueType = 'string' | 'number' | 'boolean' | 'date' | 'enum' | 'null';

export type FilterNode =
	| { kind: 'literal'; type: ValueType; value: string | number | boolean | null }
	| { kind: 'prop'; type: ValueType; scope: string | undefined; field: FieldDef }
	| { kind: 'compare'; type: 'boolean'; op: CompareOp; left: FilterNode; right: FilterNode }
	| { kind: 'in'; type: 'boolean'; left: FilterNode; list: FilterNode[] }
	| { kind: 'logical'; type: 'boolean'; op: 'and' | 'or'; left: FilterNode; right: FilterNode }
	| { kind: 'not'; type: 'boolean'; operand: FilterNode }
	| { kind: 'call'; type: ValueType; name: string; args: FilterNode[] }
	| {
			kind: 'lambda';
			type: 'boolean';
			op: 'any' | 'all';
			nav: NavDef;
			/** The lambda variable the navigation starts from; undefined = the filtered entity. */
			scope: string | undefined;
			variable?: string;
			body?: FilterNode;
	  };

type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
const COMPARE_OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** What the parser needs to know about the model. */
export interface FilterContext {
	entity: EntityDef;
	/** The definition of a navigation's target entity. */
	target(nav: NavDef): EntityDef;
}

/** What the evaluator needs: the related records of a collection navigation. */
export type Navigator = (record: Record<string, unknown>, nav: NavDef) => Record<string, unknown>[];

// ---- tokens ---------------------------------------------------------------------------------

type Token =
	| { t: 'punct'; v: '(' | ')' | ',' | ':' | '/'; pos: number }
	| { t: 'string'; v: string; pos: number }
	| { t: 'number'; v: number; pos: number }
	| { t: 'date'; v: number; pos: number; raw: string }
	| { t: 'ident'; v: string; pos: number }
	| { t: 'enum'; v: string; qualifier: string; pos: number }
	| { t: 'end'; pos: number };

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_.]*/;

function filterError(message: string): LnHttpError {
	return badRequest(`Invalid $filter: ${message}`, 'ERROR:InvalidFilter');
}

function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < text.length) {
		const c = text[i];
		if (/\s/.test(c)) {
			i++;
			continue;
		}
		const rest = text.slice(i);
		if ('(),:/'.includes(c)) {
			tokens.push({ t: 'punct', v: c as '(' | ')' | ',' | ':' | '/', pos: i });
			i++;
		} else if (c === "'") {
			const { value, end } = readString(text, i);
			tokens.push({ t: 'string', v: value, pos: i });
			i = end;
		} else if (DATE_TIME.test(rest) || DATE_ONLY.test(rest)) {
			const raw = (DATE_TIME.exec(rest) ?? DATE_ONLY.exec(rest))![0];
			const value = parseDateTimeOffset(raw.includes('T') ? raw : `${raw}T00:00:00Z`);
			if (value === undefined) throw filterError(`'${raw}' at position ${i} is not a valid DateTimeOffset`);
			tokens.push({ t: 'date', v: value, pos: i, raw });
			i += raw.length;
		} else if (NUMBER.test(rest)) {
			const raw = NUMBER.exec(rest)![0];
			tokens.push({ t: 'number', v: Number(raw), pos: i });
			i += raw.length;
		} else if (IDENT.test(rest)) {
			const raw = IDENT.exec(rest)![0];
			i += raw.length;
			if (text[i] === "'" && raw.includes('.')) {
				// Qualified enum literal: Namespace.EnumType'Member'
				const { value, end } = readString(text, i);
				tokens.push({ t: 'enum', v: value, qualifier: raw, pos: i - raw.length });
				i = end;
			} else {
				tokens.push({ t: 'ident', v: raw, pos: i - raw.length });
			}
		} else {
			throw filterError(`unexpected character '${c}' at position ${i}`);
		}
	}
	tokens.push({ t: 'end', pos: text.length });
	return tokens;
}

function readString(text: string, start: number): { value: string; end: number } {
	let value = '';
	let i = start + 1;
	for (;;) {
		if (i >= text.length) throw filterError(`unterminated string literal starting at position ${start}`);
		if (text[i] === "'") {
			if (text[i + 1] === "'") {
				value += "'";
				i += 2;
				continue;
			}
			return { value, end: i + 1 };
		}
		value += text[i++];
	}
}

// ---- parser ---------------------------------------------------------------------------------

const FUNCTIONS: Record<string, { args: ValueType[]; result: ValueType }> = {
	tolower: { args: ['string'], result: 'string' },
	toupper: { args: ['string'], result: 'string' },
	trim: { args: ['string'], result: 'string' },
	length: { args: ['string'], result: 'number' },
	contains: { args: ['string', 'string'], result: 'boolean' },
	startswith: { args: ['string', 'string'], result: 'boolean' },
	endswith: { args: ['string', 'string'], result: 'boolean' },
};

const EDM_NAMES: Record<ValueType, string> = {
	string: 'Edm.String',
	number: 'Edm.Int32/Edm.Decimal',
	boolean: 'Edm.Boolean',
	date: 'Edm.DateTimeOffset',
	enum: 'enum',
	null: 'null',
};

function typeOfField(field: FieldDef): ValueType {
	if (field.enumDef) return 'enum';
	if (field.type === 'Edm.Int32') return 'number';
	if (field.type === 'Edm.DateTimeOffset') return 'date';
	return 'string';
}

interface Scope {
	variable: string;
	entity: EntityDef;
}

class Parser {
	private index = 0;
	private readonly scopes: Scope[] = [];

	constructor(
		private readonly tokens: Token[],
		private readonly context: FilterContext,
	) {}

	parse(): FilterNode {
		const node = this.parseOr();
		const next = this.peek();
		if (next.t !== 'end') throw filterError(`unexpected ${describe(next)} at position ${next.pos}`);
		this.expectBoolean(node, 'The filter');
		return node;
	}

	private peek(offset = 0): Token {
		return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
	}

	private next(): Token {
		return this.tokens[this.index++];
	}

	private isKeyword(word: string, offset = 0): boolean {
		const token = this.peek(offset);
		return token.t === 'ident' && token.v === word;
	}

	private expectPunct(v: string): void {
		const token = this.next();
		if (token.t !== 'punct' || token.v !== v) throw filterError(`expected '${v}' but found ${describe(token)} at position ${token.pos}`);
	}

	private expectBoolean(node: FilterNode, what: string): void {
		if (node.type !== 'boolean') throw filterError(`${what} must be a Boolean expression, not ${EDM_NAMES[node.type]}`);
	}

	private parseOr(): FilterNode {
		let left = this.parseAnd();
		while (this.isKeyword('or')) {
			this.next();
			const right = this.parseAnd();
			this.expectBoolean(left, "The left operand of 'or'");
			this.expectBoolean(right, "The right operand of 'or'");
			left = { kind: 'logical', type: 'boolean', op: 'or', left, right };
		}
		return left;
	}

	private parseAnd(): FilterNode {
		let left = this.parseComparison();
		while (this.isKeyword('and')) {
			this.next();
			const right = this.parseComparison();
			this.expectBoolean(left, "The left operand of 'and'");
			this.expectBoolean(right, "The right operand of 'and'");
			left = { kind: 'logical', type: 'boolean', op: 'and', left, right };
		}
		return left;
	}

	private parseComparison(): FilterNode {
		const left = this.parseUnary();
		const token = this.peek();
		if (token.t === 'ident' && COMPARE_OPS.has(token.v)) {
			this.next();
			const right = this.parseUnary();
			const op = token.v as CompareOp;
			checkComparable(op, left, right);
			return { kind: 'compare', type: 'boolean', op, left, right };
		}
		if (this.isKeyword('in')) {
			this.next();
			this.expectPunct('(');
			const list: FilterNode[] = [];
			for (;;) {
				const item = this.parseUnary();
				if (item.kind !== 'literal') throw filterError("the list of 'in' may contain only literals");
				checkComparable('eq', left, item);
				list.push(item);
				const sep = this.next();
				if (sep.t === 'punct' && sep.v === ')') break;
				if (sep.t !== 'punct' || sep.v !== ',') throw filterError(`expected ',' or ')' in the list of 'in' at position ${sep.pos}`);
			}
			return { kind: 'in', type: 'boolean', left, list };
		}
		return left;
	}

	private parseUnary(): FilterNode {
		if (this.isKeyword('not')) {
			this.next();
			const operand = this.parseUnary();
			this.expectBoolean(operand, "The operand of 'not'");
			return { kind: 'not', type: 'boolean', operand };
		}
		return this.parsePrimary();
	}

	private parsePrimary(): FilterNode {
		const token = this.next();
		switch (token.t) {
			case 'punct':
				if (token.v === '(') {
					const inner = this.parseOr();
					this.expectPunct(')');
					return inner;
				}
				throw filterError(`unexpected '${token.v}' at position ${token.pos}`);
			case 'string':
				return { kind: 'literal', type: 'string', value: token.v };
			case 'enum':
				return { kind: 'literal', type: 'enum', value: token.v };
			case 'number':
				return { kind: 'literal', type: 'number', value: token.v };
			case 'date':
				return { kind: 'literal', type: 'date', value: token.v };
			case 'end':
				throw filterError('the expression ends unexpectedly');
			case 'ident':
				return this.parseIdentifier(token);
		}
	}

	private parseIdentifier(token: Extract<Token, { t: 'ident' }>): FilterNode {
		const word = token.v;
		if (word === 'true' || word === 'false') return { kind: 'literal', type: 'boolean', value: word === 'true' };
		if (word === 'null') return { kind: 'literal', type: 'null', value: null };
		const following = this.peek();
		if (following.t === 'punct' && following.v === '(' && following.pos === token.pos + word.length) {
			return this.parseCall(word, token.pos);
		}
		// A member path: [variable/]Property, or Navigation/any(…) / Navigation/all(…).
		let entity = this.context.entity;
		let scope: string | undefined;
		let name = word;
		const variable = [...this.scopes].reverse().find((s) => s.variable === word);
		if (variable || word === '$it') {
			entity = variable ? variable.entity : this.context.entity;
			scope = variable ? variable.variable : undefined;
			this.expectPunct('/');
			const member = this.next();
			if (member.t !== 'ident') throw filterError(`expected a property name after '${word}/' at position ${member.pos}`);
			name = member.v;
		}
		const field = entity.byPhysical.get(name);
		if (field) {
			if (this.peek().t === 'punct' && (this.peek() as { v: string }).v === '/') {
				throw filterError(`'${name}' is a property of '${entity.typeName}', not a navigation`);
			}
			return { kind: 'prop', type: typeOfField(field), scope, field };
		}
		const nav = entity.navigations.find((n) => n.name === name);
		if (nav) return this.parseLambda(nav, entity, scope);
		throw filterError(`the property '${name}' does not exist in type '${entity.typeName}'`);
	}

	private parseLambda(nav: NavDef, entity: EntityDef, scope: string | undefined): FilterNode {
		if (!nav.collection) {
			throw filterError(`filtering on the single-valued navigation '${nav.name}' of '${entity.typeName}' is not supported`);
		}
		this.expectPunct('/');
		const op = this.next();
		if (op.t !== 'ident' || (op.v !== 'any' && op.v !== 'all')) {
			throw filterError(`expected any(…) or all(…) after '${nav.name}/' at position ${op.pos}`);
		}
		this.expectPunct('(');
		if (this.peek().t === 'punct' && (this.peek() as { v: string }).v === ')') {
			this.next();
			if (op.v === 'all') throw filterError("all() needs a lambda expression like all(a: a/Invite eq 'Yes')");
			return { kind: 'lambda', type: 'boolean', op: 'any', nav, scope };
		}
		const variable = this.next();
		if (variable.t !== 'ident') throw filterError(`expected a lambda variable at position ${variable.pos}`);
		this.expectPunct(':');
		this.scopes.push({ variable: variable.v, entity: this.context.target(nav) });
		const body = this.parseOr();
		this.scopes.pop();
		this.expectPunct(')');
		this.expectBoolean(body, `The body of ${op.v}()`);
		return { kind: 'lambda', type: 'boolean', op: op.v, nav, scope, variable: variable.v, body };
	}

	private parseCall(name: string, pos: number): FilterNode {
		const spec = FUNCTIONS[name];
		if (!spec) throw filterError(`unknown function '${name}' at position ${pos}`);
		this.expectPunct('(');
		const args: FilterNode[] = [];
		if (!(this.peek().t === 'punct' && (this.peek() as { v: string }).v === ')')) {
			for (;;) {
				args.push(this.parseOr());
				const sep = this.next();
				if (sep.t === 'punct' && sep.v === ')') break;
				if (sep.t !== 'punct' || sep.v !== ',') throw filterError(`expected ',' or ')' in the arguments of ${name} at position ${sep.pos}`);
			}
		} else {
			this.next();
		}
		if (args.length !== spec.args.length) {
			throw filterError(`the function ${name} takes ${spec.args.length} argument(s), not ${args.length}`);
		}
		args.forEach((arg, i) => {
			if (arg.type !== spec.args[i]) {
				throw filterError(`argument ${i + 1} of ${name} must be ${EDM_NAMES[spec.args[i]]}, not ${EDM_NAMES[arg.type]}`);
			}
		});
		return { kind: 'call', type: spec.result, name, args };
	}
}

function describe(token: Token): string {
	switch (token.t) {
		case 'end':
			return 'the end of the expression';
		case 'string':
			return `'${token.v}'`;
		case 'date':
			return token.raw;
		case 'enum':
			return `${token.qualifier}'${token.v}'`;
		default:
			return `'${String(token.v)}'`;
	}
}

/** Type rules of a comparison; enum literals must be members of the property's enum. */
function checkComparable(op: CompareOp, left: FilterNode, right: FilterNode): void {
	if (left.type === 'null' || right.type === 'null') return;
	const enumSide = left.kind === 'prop' && left.field.enumDef ? left : right.kind === 'prop' && right.field.enumDef ? right : undefined;
	if (enumSide && enumSide.kind === 'prop') {
		const other = enumSide === left ? right : left;
		if (other.kind === 'literal' && (other.type === 'string' || other.type === 'enum')) {
			const members = enumSide.field.enumDef!.members;
			if (!members.includes(other.value as string)) {
				throw filterError(
					`'${String(other.value)}' is not a member of the enum of '${enumSide.field.physical}' (${members.join(', ')})`,
				);
			}
			return;
		}
		if (other.type === 'enum') return;
	}
	const lt = left.type === 'enum' ? 'string' : left.type;
	const rt = right.type === 'enum' ? 'string' : right.type;
	if (lt !== rt || (lt === 'boolean' && op !== 'eq' && op !== 'ne')) {
		throw filterError(`the operator '${op}' cannot compare ${EDM_NAMES[left.type]} with ${EDM_NAMES[right.type]}`);
	}
}

export function parseFilter(text: string, context: FilterContext): FilterNode {
	if (text.trim() === '') throw filterError('the expression is empty');
	return new Parser(tokenize(text), context).parse();
}

// ---- narrowing ------------------------------------------------------------------------------

/** Some record related through a collection navigation has `field` equal to `value`. */
export interface RelatedEquals {
	nav: NavDef;
	field: string;
	value: string | number | boolean;
}

/**
 * A condition of that shape every match must meet (`Nav/any(x: x/Field eq 'v' and …)` among the
 * filter's top-level `and`s), so an index can find the few records worth testing.
 */
export function requiredRelatedEquals(node: FilterNode): RelatedEquals | undefined {
	if (node.kind === 'logical' && node.op === 'and') return requiredRelatedEquals(node.left) ?? requiredRelatedEquals(node.right);
	if (node.kind !== 'lambda' || node.op !== 'any' || node.scope !== undefined || !node.body || !node.variable || !node.nav.collection) return undefined;
	return equalsInBody(node.body, node.variable, node.nav);
}

function equalsInBody(node: FilterNode, variable: string, nav: NavDef): RelatedEquals | undefined {
	if (node.kind === 'logical' && node.op === 'and') return equalsInBody(node.left, variable, nav) ?? equalsInBody(node.right, variable, nav);
	if (node.kind !== 'compare' || node.op !== 'eq') return undefined;
	const [prop, literal] = node.left.kind === 'prop' ? [node.left, node.right] : [node.right, node.left];
	if (prop.kind !== 'prop' || literal.kind !== 'literal' || prop.scope !== variable) return undefined;
	// Equality as `compare` tests it: the stored value itself (dates are compared as instants, null apart).
	if (prop.type === 'date' || literal.value === null) return undefined;
	return { nav, field: prop.field.logical, value: literal.value };
}

// ---- evaluator ------------------------------------------------------------------------------

type Value = string | number | boolean | null;

interface Env {
	it: Record<string, unknown>;
	vars: Map<string, Record<string, unknown>>;
	navigate: Navigator;
}

export function evaluateFilter(node: FilterNode, record: Record<string, unknown>, navigate: Navigator): boolean {
	return evaluate(node, { it: record, vars: new Map(), navigate }) === true;
}

function evaluate(node: FilterNode, env: Env): Value {
	switch (node.kind) {
		case 'literal':
			return node.value;
		case 'prop': {
			const record = node.scope ? env.vars.get(node.scope)! : env.it;
			const value = record[node.field.logical];
			if (value === undefined || value === null) return null;
			if (node.type === 'date') return typeof value === 'string' ? (parseDateTimeOffset(value) ?? null) : null;
			return value as Value;
		}
		case 'compare':
			return compare(node.op, evaluate(node.left, env), evaluate(node.right, env), enumOrder(node));
		case 'in': {
			const left = evaluate(node.left, env);
			return node.list.some((item) => compare('eq', left, evaluate(item, env)));
		}
		case 'logical': {
			const left = evaluate(node.left, env) === true;
			if (node.op === 'and') return left && evaluate(node.right, env) === true;
			return left || evaluate(node.right, env) === true;
		}
		case 'not':
			return evaluate(node.operand, env) !== true;
		case 'call':
			return call(
				node.name,
				node.args.map((a) => evaluate(a, env)),
			);
		case 'lambda': {
			const related = env.navigate(node.scope ? env.vars.get(node.scope)! : env.it, node.nav);
			if (!node.body) return related.length > 0;
			// One scope for the lambda, its variable bound to each related record in turn.
			const inner: Env = { ...env, vars: new Map(env.vars) };
			const test = (item: Record<string, unknown>) => {
				inner.vars.set(node.variable!, item);
				return evaluate(node.body!, inner) === true;
			};
			return node.op === 'any' ? related.some(test) : related.every(test);
		}
	}
}

/** Member order of an enum property in a comparison, so gt/lt on enums follow LN's numbering. */
function enumOrder(node: Extract<FilterNode, { kind: 'compare' }>): readonly string[] | undefined {
	if (node.left.kind === 'prop' && node.left.field.enumDef) return node.left.field.enumDef.members;
	if (node.right.kind === 'prop' && node.right.field.enumDef) return node.right.field.enumDef.members;
	return undefined;
}

function compare(op: CompareOp, a: Value, b: Value, enumMembers?: readonly string[]): boolean {
	if (a === null || b === null) {
		if (op === 'eq') return a === b;
		if (op === 'ne') return a !== b;
		return false;
	}
	let x: string | number | boolean = a;
	let y: string | number | boolean = b;
	if (enumMembers && typeof a === 'string' && typeof b === 'string') {
		x = enumMembers.indexOf(a);
		y = enumMembers.indexOf(b);
	}
	switch (op) {
		case 'eq':
			return x === y;
		case 'ne':
			return x !== y;
		case 'gt':
			return x > y;
		case 'ge':
			return x >= y;
		case 'lt':
			return x < y;
		case 'le':
			return x <= y;
	}
}

function call(name: string, args: Value[]): Value {
	if (args.some((a) => a === null)) return null;
	const [a, b] = args as string[];
	switch (name) {
		case 'tolower':
			return a.toLowerCase();
		case 'toupper':
			return a.toUpperCase();
		case 'trim':
			return a.trim();
		case 'length':
			return a.length;
		case 'contains':
			return a.includes(b);
		case 'startswith':
			return a.startsWith(b);
		case 'endswith':
			return a.endsWith(b);
		default:
			return null;
	}
}
