// Row 4: one sender, 100 and 1,000 graphql-ws subscribers of one group (`conversationEvents`), against a raw `ws`
// server broadcasting the very frame Parley sent (peers/ws-raw.ts). Subscribers and sender live in one process on
// the load core (lib/fanout-clients.ts); each message carries its send time, each delivery is timed on arrival.
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using } from '../lib/proc.ts';
import { compare, type Line } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { FANOUT_ENV, MEMBERS, fanout, fanoutGroup, parleySpec, rateMessagesFor } from '../lib/fanout.ts';
import type { FanoutResult, FanoutSpec } from '../lib/fanout-clients.ts';

export const fanOut: Benchmark = {
  name: 'fan-out',
  row: '4',
  title: 'Row 4: graphql-ws fan-out to 100 and 1,000 subscribers of one group vs raw ws broadcast',
  async run({ quick }) {
    // --quick: the larger size only; BENCH_FANOUT_SIZES=100 (say) for one size, e.g. under a profiler.
    const sizes = process.env.BENCH_FANOUT_SIZES?.split(',').map(Number) ?? (quick ? [1000] : [100, 1000]);
    const rateSeconds = quick ? 2 : 5;
    const messagesFor = (size: number) => (size >= 1000 ? (quick ? 6 : 50) : quick ? 15 : 200);
    const ours: FanoutResult[] = [];
    await using(
      () => startParley({ env: FANOUT_ENV }),
      async (p) => {
        const group = await fanoutGroup(p.url);
        try {
          for (const size of sizes) {
            const sat = await fanout(parleySpec([p.url], group, size, messagesFor(size), 0));
            // Latency at half of the message rate Parley sustained, on both sides.
            const rate = round(sat.messagesPerSecond / 2, 1);
            const atRate = await fanout({ ...parleySpec([p.url], group, size, 1, rate, rateSeconds) });
            ours.push({ ...sat, atRate: atRate.atRate, closed: sat.closed + atRate.closed, resets: sat.resets + atRate.resets, lastError: sat.lastError ?? atRate.lastError });
          }
        } catch (err) {
          throw new Error(`${(err as Error).message}\nParley output (exit ${p.child.exitCode}):\n${p.output().slice(-3000)}`);
        }
      },
    );
    const peer: FanoutResult[] = await using(
      () => startPeer('ws-raw.ts'),
      async (p) => {
        const out: FanoutResult[] = [];
        for (let i = 0; i < sizes.length; i++) {
          const frame = ours[i].sample.replace(/msg -?\d+ @\d+\.\d+@/, '@STAMP@');
          const spec: FanoutSpec = {
            protocol: 'raw',
            wsUrls: [p.url.replace(/^http/, 'ws')],
            subscribers: sizes[i],
            send: { url: `${p.url}/broadcast`, headers: {}, body: frame },
            messages: messagesFor(sizes[i]),
            inFlight: 4,
            rate: round(ours[i].messagesPerSecond / 2, 1),
            rateMessages: rateMessagesFor(round(ours[i].messagesPerSecond / 2, 1), rateSeconds),
          };
          out.push(await fanout(spec));
        }
        return out;
      },
    );
    const lines: Line[] = [];
    for (let i = 0; i < sizes.length; i++) {
      const o = ours[i];
      const q = peer[i];
      lines.push(compare(`deliveries/s, ${sizes[i]} subscribers`, o.deliveriesPerSecond, q.deliveriesPerSecond, ['>=', 0.25], 0));
      lines.push(compare(`send-to-receive p50 ms at saturation, ${sizes[i]}`, o.saturation.p50, q.saturation.p50));
      lines.push(compare(`send-to-receive p99 ms at saturation, ${sizes[i]}`, o.saturation.p99, q.saturation.p99));
      if (o.atRate && q.atRate) {
        const rate = round(o.messagesPerSecond / 2, 1);
        lines.push(compare(`p50 ms at ${rate} msg/s (half Parley's rate), ${sizes[i]}`, o.atRate.p50, q.atRate.p50));
        lines.push(compare(`p99 ms at ${rate} msg/s (half Parley's rate), ${sizes[i]}`, o.atRate.p99, q.atRate.p99, ['<=', 2]));
      }
    }
    return {
      title: this.title,
      lines,
      notes: [
        `Parley: one group of 1 sender + ${MEMBERS} members; subscriber i is a graphql-ws connection of member i mod ${MEMBERS} (a group has at most 256 members), each with one \`conversationEvents(conversationId)\` subscription selecting the message and its sender; the sender calls \`sendMessage\` over HTTP. Peer: raw \`ws\` broadcast of the same frame bytes Parley delivered (${ours[0].sample.length} bytes), sent by POST /broadcast.`,
        `Saturation: ${sizes.map((s) => `${messagesFor(s)} messages at ${s}`).join(', ')}, 4 sends in flight; deliveries/s = deliveries / (first send to last delivery). Delivered/expected: ${sizes.map((s, i) => `Parley ${ours[i].delivered}/${ours[i].expected}, peer ${peer[i].delivered}/${peer[i].expected} at ${s}`).join('; ')}. Messages accepted/s by the sender: ${sizes.map((s, i) => `Parley ${round(ours[i].messagesPerSecond, 1)}, peer ${round(peer[i].messagesPerSecond, 1)} at ${s}`).join('; ')}.`,
        `Connections closed by the server during the runs: ${sizes.map((s, i) => `Parley ${ours[i].closed}, peer ${peer[i].closed} at ${s}`).join('; ')}; sends retried after a keep-alive reset: ${sizes.map((s, i) => `Parley ${ours[i].resets}, peer ${peer[i].resets} at ${s}`).join('; ')}${ours.some((o) => o.lastError) ? ` (last error: ${ours.map((o) => o.lastError).filter(Boolean).pop()})` : ''}.`,
        'Latency phase: a fixed send rate of half the message rate Parley sustained at that size, the same rate on both sides ("half load" taken as half of Parley\'s own maximum). Subscriptions are proven live by a probe message reaching every connection before measuring. Clients parse only the send stamp out of each frame.',
      ],
    };
  },
};
