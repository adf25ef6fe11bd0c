/**
 * Process drafts and Herald's record of who deployed which process definition. Both take an
 * optional transaction, so a deployment's record and its audit row commit together. Decision
 * tables (DMN) keep theirs in the same tables under kind 'drg'; every call works on processes
 * unless it names the kind, so the process routes never see a decision table.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/** What a draft or deployment record is of: a process, or a decision requirements graph (a .dmn file). */
export type DraftKind = 'process' | 'drg';

export interface Draft {
  id: string;
  bpmnProcessId: string;
  author: string;
  baseVersion: number | null;
  createdAt: string;
  deployedBy: string | null;
  deployedAt: string | null;
  deployedVersion: number | null;
  processDefinitionKey: string | null;
}

export interface DraftWithXml extends Draft {
  xml: string;
}

export interface DeploymentRecord {
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  resourceName: string;
  deployedBy: string;
  draftId: string | null;
  deployedAt: string;
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function toDraft(r: Row): Draft {
  return {
    id: r.id as string,
    bpmnProcessId: r.bpmn_process_id as string,
    author: r.author as string,
    baseVersion: r.base_version === null || r.base_version === undefined ? null : Number(r.base_version),
    createdAt: iso(r.created_at)!,
    deployedBy: (r.deployed_by as string | null) ?? null,
    deployedAt: iso(r.deployed_at),
    deployedVersion: r.deployed_version === null || r.deployed_version === undefined ? null : Number(r.deployed_version),
    processDefinitionKey: (r.process_definition_key as string | null) ?? null,
  };
}

function toRecord(r: Row): DeploymentRecord {
  return {
    processDefinitionKey: r.process_definition_key as string,
    bpmnProcessId: r.bpmn_process_id as string,
    version: Number(r.version),
    resourceName: r.resource_name as string,
    deployedBy: r.deployed_by as string,
    draftId: (r.draft_id as string | null) ?? null,
    deployedAt: iso(r.deployed_at)!,
  };
}

const DRAFT_COLUMNS = ['id', 'bpmn_process_id', 'author', 'base_version', 'created_at', 'deployed_by', 'deployed_at', 'deployed_version', 'process_definition_key'];

export function createDraftRepository(db: Knex | Knex.Transaction) {
  return {
    async create(d: { bpmnProcessId: string; xml: string; author: string; baseVersion?: number | null; at?: Date; kind?: DraftKind; checksum?: string }): Promise<DraftWithXml> {
      const row = {
        kind: d.kind ?? 'process',
        id: randomUUID(),
        bpmn_process_id: d.bpmnProcessId,
        xml: d.xml,
        // computed off the main thread by the caller when it has it (SHA-256 hex of the XML)
        checksum: d.checksum ?? sha256(d.xml),
        author: d.author,
        base_version: d.baseVersion ?? null,
        created_at: (d.at ?? new Date()).toISOString(),
      };
      await db('process_drafts').insert(row);
      return { ...toDraft(row), xml: d.xml };
    },

    async get(id: string, kind: DraftKind = 'process'): Promise<DraftWithXml | undefined> {
      const row = (await db('process_drafts').where({ id, kind }).first()) as Row | undefined;
      return row ? { ...toDraft(row), xml: row.xml as string } : undefined;
    },

    /** Drafts not yet deployed whose content is exactly `xml`, oldest first. */
    async undeployedWithContent(xml: string, kind: DraftKind = 'process'): Promise<DraftWithXml[]> {
      const rows = (await db('process_drafts').where({ kind, checksum: sha256(xml) }).whereNull('deployed_version').orderBy('created_at', 'asc').orderBy('id')) as Row[];
      return rows.filter((r) => r.xml === xml).map((r) => ({ ...toDraft(r), xml: r.xml as string }));
    },

    /** Newest first; without the XML. */
    async list(filter: { bpmnProcessId?: string; limit?: number; kind?: DraftKind } = {}): Promise<Draft[]> {
      const q = db('process_drafts').select(DRAFT_COLUMNS).where('kind', filter.kind ?? 'process').orderBy('created_at', 'desc').orderBy('id').limit(Math.min(filter.limit ?? 200, 1000));
      if (filter.bpmnProcessId) q.where('bpmn_process_id', filter.bpmnProcessId);
      return ((await q) as Row[]).map(toDraft);
    },

    /** Marks the draft deployed; false when someone else recorded its deployment first. */
    async markDeployed(id: string, d: { by: string; version: number; processDefinitionKey: string; at?: Date }): Promise<boolean> {
      const n = await db('process_drafts')
        .where({ id })
        .whereNull('deployed_version')
        .update({ deployed_by: d.by, deployed_version: d.version, process_definition_key: d.processDefinitionKey, deployed_at: (d.at ?? new Date()).toISOString() });
      return Number(n) > 0;
    },

    /** Records who deployed a new process definition; a definition already recorded keeps its first record. */
    async recordDeployment(r: Omit<DeploymentRecord, 'deployedAt' | 'draftId'> & { xml: string; draftId?: string | null; at?: Date; kind?: DraftKind }): Promise<void> {
      await db('process_deployments')
        .insert({
          kind: r.kind ?? 'process',
          process_definition_key: r.processDefinitionKey,
          bpmn_process_id: r.bpmnProcessId,
          version: r.version,
          resource_name: r.resourceName,
          xml: r.xml,
          deployed_by: r.deployedBy,
          draft_id: r.draftId ?? null,
          deployed_at: (r.at ?? new Date()).toISOString(),
        })
        .onConflict('process_definition_key')
        .ignore();
    },

    async deployments(filter: { bpmnProcessId?: string; keys?: string[]; kind?: DraftKind } = {}): Promise<DeploymentRecord[]> {
      const q = db('process_deployments')
        .select('process_definition_key', 'bpmn_process_id', 'version', 'resource_name', 'deployed_by', 'draft_id', 'deployed_at')
        .where('kind', filter.kind ?? 'process')
        .orderBy('bpmn_process_id')
        .orderBy('version');
      if (filter.bpmnProcessId) q.where('bpmn_process_id', filter.bpmnProcessId);
      if (filter.keys) q.whereIn('process_definition_key', filter.keys);
      return ((await q) as Row[]).map(toRecord);
    },

    async deployedXml(processDefinitionKey: string, kind: DraftKind = 'process'): Promise<(DeploymentRecord & { xml: string }) | undefined> {
      const row = (await db('process_deployments').where({ process_definition_key: processDefinitionKey, kind }).first()) as Row | undefined;
      return row ? { ...toRecord(row), xml: row.xml as string } : undefined;
    },
  };
}

export type DraftRepository = ReturnType<typeof createDraftRepository>;
