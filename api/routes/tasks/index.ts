/**
 * The tasklist: list and filter, claim and unclaim, complete (form-checked, SoD-checked),
 * comments and history. A task someone may not see is answered 404, like one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import { isOverseer } from '../../../domain/identity/index.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { createTaskRepository } from '../../../storage/repositories/tasks.js';
import type { Db } from '../../../storage/db.js';
import { principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, KeyParams, Problem } from '../../schemas/common.js';
import { Comment, CommentBody, CompletedTask, CompleteTaskBody, HistoryEntry, Task, TaskQuery, TaskScheduleBody } from '../../schemas/tasks.js';
import { canSee, type Tasklist } from '../../services/tasklist.js';
import { Type } from '@sinclair/typebox';
import type { Engine } from '../../../engine/types.js';
import { taskContextRoutes } from './context.js';

const SMALL_BODY = 64 * 1024;

export async function taskRoutes(app: FastifyInstance, opts: { db: Db; tasklist: Tasklist; engine?: Engine; messages?: { baseUrl?: string; company?: { name: string; email: string; phone: string } } | undefined }): Promise<void> {
  const { db, tasklist } = opts;
  await taskContextRoutes(app, { db, engine: opts.engine, messages: opts.messages });
  const tasks = createTaskRepository(db);

  const visibleTask = async (key: string, who: ReturnType<typeof principal>) => {
    const task = await tasks.get(key);
    if (!task || !canSee(task, who)) throw notFound('task');
    return task;
  };

  app.get('/api/tasks', { schema: { tags: ['tasks'], summary: 'List tasks you may see, filtered', querystring: TaskQuery, response: { 200: Type.Array(Task), 400: Problem, ...authProblems } } }, async (request) => {
    const who = principal(request);
    const q = request.query as TaskQuery;
    return tasks.list({ ...q, assignee: q.assignee === 'me' ? who.id : q.assignee, visibleTo: isOverseer(who) ? undefined : { userId: who.id, groups: who.groups } });
  });

  app.get('/api/tasks/:key', { schema: { tags: ['tasks'], summary: 'One task with its variables, form and assignee', params: KeyParams, response: { 200: Task, 400: Problem, 404: Problem, ...authProblems } } }, async (request) => {
    return visibleTask((request.params as { key: string }).key, principal(request));
  });

  app.post(
    '/api/tasks/:key/claim',
    { bodyLimit: SMALL_BODY, schema: { tags: ['tasks'], summary: 'Claim a task (segregation of duties checked)', params: KeyParams, response: { 200: Task, 400: Problem, 404: Problem, 409: Problem, ...authProblems } } },
    async (request) => tasklist.claim((request.params as { key: string }).key, principal(request)),
  );

  app.post(
    '/api/tasks/:key/unclaim',
    { bodyLimit: SMALL_BODY, schema: { tags: ['tasks'], summary: 'Give a claimed task back', params: KeyParams, response: { 200: Task, 400: Problem, 404: Problem, 409: Problem, ...authProblems } } },
    async (request) => tasklist.unclaim((request.params as { key: string }).key, principal(request)),
  );

  app.patch(
    '/api/tasks/:key',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['tasks'],
        summary: "Change a task's due date, follow-up date or priority (its assignee or a lead of its groups; segregation of duties checked)",
        params: KeyParams,
        body: TaskScheduleBody,
        response: { 200: Task, 400: Problem, 404: Problem, 409: Problem, 413: Problem, ...authProblems },
      },
    },
    async (request) => tasklist.reschedule((request.params as { key: string }).key, principal(request), request.body as TaskScheduleBody),
  );

  app.post(
    '/api/tasks/:key/completion',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['tasks'],
        summary: "Complete a claimed task with variables checked against its form (segregation of duties checked again)",
        params: KeyParams,
        body: CompleteTaskBody,
        response: { 200: CompletedTask, 400: Problem, 404: Problem, 409: Problem, 413: Problem, ...authProblems },
      },
    },
    async (request) => {
      const who = principal(request);
      const { task, variables } = await tasklist.complete((request.params as { key: string }).key, who, (request.body as CompleteTaskBody).variables ?? {});
      return { key: task.key, state: 'COMPLETED' as const, completedBy: who.id, variables };
    },
  );

  app.get('/api/tasks/:key/comments', { schema: { tags: ['tasks'], summary: "A task's comments, oldest first", params: KeyParams, response: { 200: Type.Array(Comment), 400: Problem, 404: Problem, ...authProblems } } }, async (request) => {
    const task = await visibleTask((request.params as { key: string }).key, principal(request));
    return tasks.comments(task.key);
  });

  app.post(
    '/api/tasks/:key/comments',
    { bodyLimit: SMALL_BODY, schema: { tags: ['tasks'], summary: 'Add a comment to a task', params: KeyParams, body: CommentBody, response: { 201: Comment, 400: Problem, 404: Problem, 413: Problem, ...authProblems } } },
    async (request, reply) => {
      const who = principal(request);
      const task = await visibleTask((request.params as { key: string }).key, who);
      const comment = await db.transaction(async (tx) => {
        const c = await createTaskRepository(tx).addComment(task.key, who.id, (request.body as CommentBody).body);
        await createAuditRepository(tx).append({ actor: who.id, action: 'task.comment', subjectType: 'task', subjectId: task.key, detail: { commentId: c.id } });
        return c;
      });
      reply.status(201);
      return comment;
    },
  );

  app.get(
    '/api/tasks/:key/history',
    { schema: { tags: ['tasks'], summary: "The task's audit trail: claims, completions, refusals, comments", params: KeyParams, response: { 200: Type.Array(HistoryEntry), 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const task = await visibleTask((request.params as { key: string }).key, principal(request));
      const rows = await createAuditRepository(db).list({ subjectType: 'task', subjectId: task.key, limit: 1000 });
      return [{ at: task.createdAt, actor: 'engine', action: 'task.created', outcome: 'done', rule: null, detail: { elementId: task.elementId } }, ...rows.map((r) => ({ at: r.at, actor: r.actor, action: r.action, outcome: r.outcome, rule: r.rule ?? null, detail: r.detail }))];
    },
  );
}
