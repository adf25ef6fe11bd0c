/**
 * Wire-level contract of the Zeebe adapter's instance modification and migration (issue #16): NOT
 * a broker. A real gRPC server built from the gateway proto inside @camunda8/sdk records what
 * `modifyInstance` and `migrateInstance` send: int64 keys, `-1` for "the flow scope's only
 * instance" (Zeebe's ElementActivationBehavior.NO_ANCESTOR_SCOPE_KEY), variables as one JSON
 * document string per instruction, the migration plan's mapping instructions as given; and a
 * rejection comes back as an error carrying Zeebe's text. Engine semantics are the conformance
 * suite's job on a real cluster.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZeebeEngine } from '../../../engine/zeebe/index.js';
import type { Engine } from '../../../engine/types.js';

const require = createRequire(import.meta.url);
const protoPath = path.join(path.dirname(require.resolve('@camunda8/sdk/package.json')), 'dist/proto/zeebe.proto');

type Req = Record<string, any>;

/** Records ModifyProcessInstance and MigrateProcessInstance; refuses what `refuse` returns a text for. */
class ModifyMigrateGateway {
  readonly calls: Record<string, Req[]> = {};
  refuse?: (method: string, req: Req) => string | undefined;
  server = new grpc.Server();

  async listen(): Promise<number> {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const proto = grpc.loadPackageDefinition(definition) as any;
    const unary = (method: string, answer: () => Req) => (call: grpc.ServerUnaryCall<Req, Req>, callback: grpc.sendUnaryData<Req>) => {
      (this.calls[method] ??= []).push(call.request);
      const reason = this.refuse?.(method, call.request);
      if (reason) {
        const details = `Command 'MODIFY' rejected with code 'INVALID_ARGUMENT': ${reason}`;
        callback(Object.assign(new Error(details), { code: grpc.status.INVALID_ARGUMENT, details, metadata: new grpc.Metadata() }) as grpc.ServiceError);
      } else callback(null, answer());
    };
    this.server.addService(proto.gateway_protocol.Gateway.service, {
      Topology: unary('Topology', () => ({ brokers: [], clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: '8.8.0-wire-contract' })),
      ModifyProcessInstance: unary('ModifyProcessInstance', () => ({})),
      MigrateProcessInstance: unary('MigrateProcessInstance', () => ({})),
    });
    return new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

describe('Zeebe adapter: modification and migration on the wire (recording gRPC gateway, not a broker)', () => {
  const gateway = new ModifyMigrateGateway();
  let engine: Engine;

  beforeAll(async () => {
    const port = await gateway.listen();
    engine = createZeebeEngine({
      logger: pino({ level: 'silent' }),
      env: { ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}`, CAMUNDA_AUTH_STRATEGY: 'NONE', ZEEBE_CLIENT_LOG_LEVEL: 'NONE', ZEEBE_GRPC_CLIENT_MAX_RETRY_TIMEOUT_SECONDS: '1' },
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    await gateway.close();
  });

  it('sends a modification with its activate instructions (ancestor key, variables per scope as JSON) and terminate instructions as int64 keys', async () => {
    // when: an element inside a sub-process is activated in a chosen scope instance, another with no ancestor, and one instance terminated
    await engine.modifyInstance('2251799813690001', {
      activateInstructions: [
        { elementId: 'b', ancestorElementInstanceKey: '2251799813690007', variableInstructions: [{ scopeId: 'sub', variables: { reviewer: 'ops', amount: '12.30' } }, { variables: { movedBy: 'operator' } }] },
        { elementId: 'send' },
      ],
      terminateInstructions: [{ elementInstanceKey: '2251799813690009' }],
    });

    // then
    const [req] = gateway.calls.ModifyProcessInstance;
    expect(req.processInstanceKey).toBe('2251799813690001');
    expect(req.activateInstructions).toHaveLength(2);
    const [inside, plain] = req.activateInstructions;
    expect(inside).toMatchObject({ elementId: 'b', ancestorElementInstanceKey: '2251799813690007' });
    expect(inside.variableInstructions.map((v: Req) => v.scopeId)).toEqual(['sub', '']);
    // each instruction's variables are one JSON document (a string on the wire), not a string of a string
    expect(inside.variableInstructions.map((v: Req) => JSON.parse(v.variables))).toEqual([{ reviewer: 'ops', amount: '12.30' }, { movedBy: 'operator' }]);
    expect(plain).toMatchObject({ elementId: 'send', ancestorElementInstanceKey: '-1', variableInstructions: [] });
    expect(req.terminateInstructions).toEqual([{ elementInstanceKey: '2251799813690009' }]);
  });

  it('sends a migration plan with the target definition key and mapping instructions between different element ids', async () => {
    await engine.migrateInstance('2251799813690011', {
      targetProcessDefinitionKey: '2251799813690020',
      mappingInstructions: [
        { sourceElementId: 'sub', targetElementId: 'stage' },
        { sourceElementId: 'check', targetElementId: 'verify' },
      ],
    });

    const [req] = gateway.calls.MigrateProcessInstance;
    expect(req.processInstanceKey).toBe('2251799813690011');
    expect(req.migrationPlan).toEqual({
      targetProcessDefinitionKey: '2251799813690020',
      mappingInstructions: [
        { sourceElementId: 'sub', targetElementId: 'stage' },
        { sourceElementId: 'check', targetElementId: 'verify' },
      ],
    });
  });

  it("hands Zeebe's rejection back with its text, naming the element", async () => {
    const reason =
      "Expected to migrate process instance '2251799813690012' but no mapping instruction defined for active element with id 'check'. Elements cannot be migrated without a mapping.";
    gateway.refuse = (method) => (method === 'MigrateProcessInstance' ? reason : undefined);
    try {
      await expect(engine.migrateInstance('2251799813690012', { targetProcessDefinitionKey: '2251799813690020', mappingInstructions: [] })).rejects.toThrow(reason);
    } finally {
      gateway.refuse = undefined;
    }
  });
});
