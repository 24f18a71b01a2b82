// conversationSettingsChanged: a member's settings change (muted, archived, pinned) reaches their other devices live,
// over WebSocket and SSE, and nobody else's.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { CreateGroup, Leave } from './messaging-ops.ts';

const Change = graphql(`
  mutation Change($c: ID!, $muted: Boolean, $archived: Boolean, $pinned: Boolean) {
    updateConversationSettings(conversationId: $c, muted: $muted, archived: $archived, pinned: $pinned) {
      id
    }
  }
`);

const Changed = graphql(`
  subscription Changed {
    conversationSettingsChanged {
      id
      viewerSettings {
        muted
        archived
        pinned
      }
    }
  }
`);

describe('conversation settings on every device', () => {
  const server = useServer();

  it('follow the viewer`s own changes live, over WebSocket and SSE, and not another member`s', async () => {
    const s = server();
    const [ann, bo] = [await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Synced', memberIds: [bo.id] }, { token: ann.token })).createGroupConversation.id;
    const other = (await s.ok(CreateGroup, { title: 'Other', memberIds: [bo.id] }, { token: ann.token })).createGroupConversation.id;
    const anns = subscribe(s.ws({ token: ann.token }), Changed);
    const bos = subscribe(s.ws({ token: bo.token }), Changed);
    let flip = false;
    await allLive([anns], () => s.ok(Change, { c: other, muted: (flip = !flip) }, { token: ann.token }));
    await allLive([bos], () => s.ok(Change, { c: other, muted: (flip = !flip) }, { token: bo.token }));
    const sse = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ann.token}` },
      body: JSON.stringify({ query: 'subscription { conversationSettingsChanged { id viewerSettings { pinned archived } } }' }),
    });
    const reader = sse.body!.getReader();

    await s.ok(Change, { c: group, pinned: true, archived: true }, { token: ann.token });
    const got = await anns.until((r) => r.data?.conversationSettingsChanged?.id === group);
    expect(got.data!.conversationSettingsChanged!.viewerSettings).toEqual({ muted: false, archived: true, pinned: true });
    let text = '';
    while (!text.includes(group)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const frame = text.split('\n').find((line) => line.startsWith('data:') && line.includes(group))!;
    expect(JSON.parse(frame.slice(5)).data.conversationSettingsChanged.viewerSettings).toEqual({ pinned: true, archived: true });
    await reader.cancel();

    // bo's stream hears bo's next change first: ann's change of the same conversation never reached it.
    await s.ok(Change, { c: group, muted: true }, { token: bo.token });
    const bosNext = await bos.until((r) => r.data?.conversationSettingsChanged?.id === group);
    expect(bosNext.data!.conversationSettingsChanged!.viewerSettings).toEqual({ muted: true, archived: false, pinned: false });

    // A change that changes nothing is not news; leaving makes the next event of that conversation null.
    await s.ok(Change, { c: group }, { token: ann.token });
    await s.ok(Change, { c: other, archived: true }, { token: ann.token });
    const next = await anns.next();
    expect(next.data!.conversationSettingsChanged!.id).toBe(other);
  });

  it('say null once the viewer has left the conversation', async () => {
    const s = server();
    const [ann, bo] = [await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Gone', memberIds: [ann.id] }, { token: bo.token })).createGroupConversation.id;
    const anns = subscribe(s.ws({ token: ann.token }), Changed);
    let flip = false;
    await allLive([anns], () => s.ok(Change, { c: group, muted: (flip = !flip) }, { token: ann.token }));
    // Published before the leave, resolved after it: the stream says null rather than show a conversation ann left.
    const services = s.services();
    const change = new Promise<void>((resolve) => {
      const follow = services.messaging.settings.follow(ann.id, () => {
        follow.close();
        resolve();
      });
    });
    await s.ok(Leave, { c: group }, { token: ann.token });
    const { tenantId } = await services.prisma.user.findUniqueOrThrow({ where: { id: ann.id } });
    services.pubsub.publish('settings:changed', { tenantId, userId: ann.id, conversationId: group });
    await change;
    const got = await anns.until((r) => r.data?.conversationSettingsChanged === null);
    expect(got.errors).toBeUndefined();
  });
});
