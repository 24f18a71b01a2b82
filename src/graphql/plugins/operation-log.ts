// Every query and mutation counted in /metrics by name, type, transport and outcome, its errors by code, and logged
// (at info, and at warn from `slowOperationMs` on) with its request id, tenant, user, duration and error codes.
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../logger.ts';
import { operationLabel, type Metrics } from '../../observability/metrics.ts';
import type { Context } from '../context.ts';
import { operationName, operationType } from '../request-id.ts';

export function operationLogPlugin({
  metrics,
  logger,
  slowOperationMs,
}: {
  metrics: Metrics;
  logger: Logger;
  slowOperationMs: number;
}): Plugin<Context> {
  return {
    // A subscription never passes onExecute. Over WebSocket the transport counts and logs it; over HTTP (SSE) its
    // result is the stream, and this hook, which runs for HTTP requests only, sees it.
    onResultProcess({ result }) {
      if (Symbol.asyncIterator in result) metrics.subscriptionsStarted.inc({ transport: 'sse' });
    },
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const ctx = args.contextValue;
          const name = operationName(args);
          const operation = operationLabel(name);
          if (Symbol.asyncIterator in result) return; // incremental delivery (@defer, @stream), which is not enabled
          const ms = performance.now() - started;
          const codes = result.errors?.map((e) => String(e.extensions?.code ?? 'UNKNOWN'));
          const outcome = codes?.length ? 'error' : 'ok';
          const type = operationType(args);
          metrics.operations.inc({ operation, type, transport: ctx.transport, outcome });
          metrics.operationDuration.observe({ operation, transport: ctx.transport, outcome }, ms / 1000);
          for (const code of codes ?? []) metrics.errors.inc({ code });
          const slow = ms >= slowOperationMs;
          if (!slow && !logger.enabled('info')) return;
          const entry = {
            requestId: ctx.requestId,
            transport: ctx.transport,
            tenant: ctx.tenant?.id,
            user: ctx.viewer?.user.id,
            operation: name,
            ms: Math.round(ms * 10) / 10,
            outcome,
            ...(codes?.length ? { codes } : {}),
          };
          logger.info('operation', entry);
          if (slow) logger.warn('slow operation', { ...entry, thresholdMs: slowOperationMs });
        },
      };
    },
  };
}
