/**
 * A deployment of resources the engine already holds byte for byte, as the latest version of
 * everything they define, is answered from the stored rows: no parse, validation or compile.
 * Every start deploys processes/ again, and an unchanged file costs one query instead of a
 * parse of its diagram and a compile of its FEEL. The rows keep what the answer needs (a
 * diagram's validation warnings, a decision's name) in `meta`; a row written before they did
 * is parsed once more, which fills them in.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { Db } from '../../storage/db.js';
import type { DeployProblem, DeployedDecision, DeployedForm, DeployedProcess, Resource } from '../types.js';

export interface UnchangedResource {
  processes: DeployedProcess[];
  decisions: DeployedDecision[];
  forms: DeployedForm[];
  warnings: DeployProblem[];
}

export const resourceChecksum = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The kind a resource's rows have, from its file name (as deploy() decides it). */
function kindOf(name: string): 'process' | 'drg' | 'form' | undefined {
  if (/\.(bpmn|xml)$/i.test(name)) return 'process';
  if (/\.dmn$/i.test(name)) return 'drg';
  if (/\.form$/i.test(name)) return 'form';
  return undefined;
}

/** The text deploy() stores for the resource, without checking it (only an exact match with a stored row counts). */
function storedText(resource: Resource, kind: string): string | undefined {
  if (Buffer.isBuffer(resource.content) && !isUtf8(resource.content)) return undefined;
  let text = Buffer.isBuffer(resource.content) ? resource.content.toString('utf8') : resource.content;
  if (typeof text !== 'string') return undefined;
  // the XML guard drops a byte order mark before a diagram is stored
  if (kind === 'process' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

const metaOf = (meta: unknown): Record<string, unknown> => (typeof meta === 'string' ? (JSON.parse(meta) as Record<string, unknown>) : ((meta ?? {}) as Record<string, unknown>));

/** What deploying `resource` again would answer, when nothing in it changed; undefined when it has to be prepared. */
export async function findUnchanged(db: Db, resource: Resource): Promise<UnchangedResource | undefined> {
  const kind = kindOf(resource.name);
  if (!kind) return undefined;
  const text = storedText(resource, kind);
  if (text === undefined) return undefined;
  const rows: { key: string | number; resource_id: string; version: number; meta: unknown; latest: boolean }[] = await db('engine_resources as r')
    .where({ 'r.kind': kind, 'r.resource_name': resource.name, 'r.checksum': resourceChecksum(text) })
    .select('r.key', 'r.resource_id', 'r.version', 'r.meta', db.raw('r.version = (select max(x.version) from engine_resources x where x.kind = r.kind and x.resource_id = r.resource_id) as latest'))
    .orderBy('r.key');
  if (!rows.length) return undefined;
  // every definition this content made must still be at this content's version
  const current = rows.filter((r) => r.latest);
  if (new Set(rows.map((r) => r.resource_id)).size !== current.length) return undefined;
  const found: UnchangedResource = { processes: [], decisions: [], forms: [], warnings: [] };
  for (const row of current) {
    const meta = metaOf(row.meta);
    const key = Number(row.key);
    if (kind === 'process') {
      if (!Array.isArray(meta.warnings)) return undefined;
      if (row === current[0]) found.warnings.push(...(meta.warnings as DeployProblem[]));
      found.processes.push({ bpmnProcessId: row.resource_id, version: row.version, processDefinitionKey: String(key), resourceName: resource.name, duplicate: true });
    } else if (kind === 'drg') {
      const ids = meta.decisions as string[] | undefined;
      const names = meta.decisionNames as (string | null)[] | undefined;
      if (!Array.isArray(ids) || !Array.isArray(names) || names.length !== ids.length) return undefined;
      ids.forEach((id, i) =>
        found.decisions.push({
          decisionId: id,
          ...(names[i] != null && { decisionName: names[i] }),
          version: row.version,
          decisionKey: `${key}:${id}`,
          decisionRequirementsId: row.resource_id,
          resourceName: resource.name,
          duplicate: true,
        }),
      );
    } else {
      found.forms.push({ formId: row.resource_id, version: row.version, formKey: String(key), resourceName: resource.name, duplicate: true });
    }
  }
  return found;
}
