import type { EntityDef, EnumDef, FieldDef, Schema } from './schema';

/**
 * The CSDL of one service, built from the mapping: entity types with keys, properties and
 * navigations, LN-style enum types (Edm.Byte members numbered from 1), and the entity container.
 * XML by default (what OData clients ask for); JSON CSDL (what LN's own tooling shows) on request.
 */

function enumsOf(defs: EntityDef[]): EnumDef[] {
	const byName = new Map<string, EnumDef>();
	for (const def of defs) for (const field of def.fields) if (field.enumDef) byName.set(field.enumDef.name, field.enumDef);
	return [...byName.values()];
}

/** Entity types of other services that navigations point to live in the same document. */
function typesOf(schema: Schema, service: string): EntityDef[] {
	const sets = schema.entitySetsOf(service);
	const targets = sets.flatMap((d) => d.navigations.map((n) => schema.entities[n.target]));
	return [...new Set([...sets, ...targets])];
}

function typeRef(service: string, field: FieldDef): string {
	return field.enumDef ? `${service}.${field.enumDef.name}` : field.type;
}

const xmlEscape = (text: string) =>
	text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function metadataXml(schema: Schema, service: string): string {
	const defs = typesOf(schema, service);
	const a = (text: string) => xmlEscape(text);
	const lines: string[] = [
		'<?xml version="1.0" encoding="utf-8"?>',
		'<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
		'<edmx:DataServices>',
		`<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="${a(service)}">`,
	];
	for (const e of enumsOf(defs)) {
		lines.push(`<EnumType Name="${a(e.name)}" UnderlyingType="Edm.Byte" IsFlags="false">`);
		e.members.forEach((m, i) => lines.push(`<Member Name="${a(m)}" Value="${i + 1}"/>`));
		lines.push('</EnumType>');
	}
	for (const def of defs) {
		lines.push(`<EntityType Name="${a(def.typeName)}">`);
		lines.push('<Key>');
		for (const key of def.keys) lines.push(`<PropertyRef Name="${a(def.byLogical.get(key)!.physical)}"/>`);
		lines.push('</Key>');
		for (const field of def.fields) {
			const nullable = def.keys.includes(field.logical) ? ' Nullable="false"' : '';
			const computed = field.computed
				? '><Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/></Property>'
				: '/>';
			lines.push(`<Property Name="${a(field.physical)}" Type="${a(typeRef(service, field))}"${nullable}${computed}`);
		}
		for (const nav of def.navigations) {
			const target = `${service}.${schema.entities[nav.target].typeName}`;
			lines.push(`<NavigationProperty Name="${a(nav.name)}" Type="${a(nav.collection ? `Collection(${target})` : target)}"/>`);
		}
		lines.push('</EntityType>');
	}
	lines.push('<EntityContainer Name="Container">');
	for (const def of schema.entitySetsOf(service)) {
		lines.push(`<EntitySet Name="${a(def.entitySet)}" EntityType="${a(`${service}.${def.typeName}`)}">`);
		for (const nav of def.navigations) {
			const target = schema.entities[nav.target];
			if (target.service === service) {
				lines.push(`<NavigationPropertyBinding Path="${a(nav.name)}" Target="${a(target.entitySet)}"/>`);
			}
		}
		lines.push('</EntitySet>');
	}
	lines.push('</EntityContainer>', '</Schema>', '</edmx:DataServices>', '</edmx:Edmx>');
	return lines.join('\n');
}

export function metadataJson(schema: Schema, service: string): Record<string, unknown> {
	const defs = typesOf(schema, service);
	const namespace: Record<string, unknown> = {};
	for (const e of enumsOf(defs)) {
		const members: Record<string, unknown> = { $Kind: 'EnumType', $IsFlags: false, $UnderlyingType: 'Edm.Byte' };
		e.members.forEach((m, i) => {
			members[m] = String(i + 1);
		});
		namespace[e.name] = members;
	}
	for (const def of defs) {
		const type: Record<string, unknown> = { $Kind: 'EntityType', $Key: def.keys.map((k) => def.byLogical.get(k)!.physical) };
		for (const field of def.fields) {
			type[field.physical] = {
				$Type: typeRef(service, field),
				...(def.keys.includes(field.logical) ? {} : { $Nullable: true }),
				...(field.computed ? { '@Org.OData.Core.V1.Computed': true } : {}),
			};
		}
		for (const nav of def.navigations) {
			type[nav.name] = {
				$Kind: 'NavigationProperty',
				$Type: `${service}.${schema.entities[nav.target].typeName}`,
				...(nav.collection ? { $Collection: true } : { $Nullable: true }),
			};
		}
		namespace[def.typeName] = type;
	}
	const container: Record<string, unknown> = { $Kind: 'EntityContainer' };
	for (const def of schema.entitySetsOf(service)) {
		container[def.entitySet] = { $Collection: true, $Type: `${service}.${def.typeName}` };
	}
	namespace.Container = container;
	return { $Version: '4.0', $EntityContainer: `${service}.Container`, [service]: namespace };
}
