// searchMessages finds messages by the names of their attachments too, in the viewer's conversations only.
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { useServer } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { graphql } from './gql/index.ts';
import { dataDir, uploaded } from './helpers/attachments.ts';

const SendFiles = graphql(`
  mutation SendFiles($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
    }
  }
`);

const DeleteFiles = graphql(`
  mutation DeleteFiles($id: ID!) {
    deleteMessage(id: $id) {
      id
    }
  }
`);

const SearchNames = graphql(`
  query SearchAttachmentNames($q: String!, $c: ID) {
    searchMessages(query: $q, conversationId: $c) {
      edges {
        node {
          snippet
          message {
            id
            attachments {
              name
            }
          }
        }
      }
    }
  }
`);

const storage = await dataDir();
afterAll(() => storage.remove());

describe('search by attachment names', () => {
  const server = useServer({ DATA_DIR: storage.dir });

  it("find messages by the names of their attachments, marking the names, in the viewer's conversations only", async () => {
    const s = server();
    const [owner, member, stranger] = [await s.user(), await s.user(), await s.user()];
    const group = await createConversation(s, [owner, member], 'Search');
    const send = async (content: string, names: string[]) => {
      const attachmentIds = [];
      for (const name of names) attachmentIds.push((await uploaded(s, owner.token, Buffer.from('bytes'), name)).id);
      return (await s.ok(SendFiles, { input: { conversationId: group, content, attachmentIds } }, { token: owner.token })).sendMessage.id;
    };
    const report = await send('', ['quarterly-report_2026.pdf', 'notes.txt']);
    const late = await send('the report is late', []);
    const both = await send('report attached', ['report <b>.pdf']);

    const search = (q: string, token = member.token, c: string | null = group) => s.ok(SearchNames, { q, c }, { token });
    const quarterly = (await search('quarterly')).searchMessages.edges;
    expect(quarterly.map((e) => e.node.message.id)).toEqual([report]);
    // Matched by name alone: the matching names, escaped, each marked whole.
    expect(quarterly[0].node.snippet).toBe('<mark>quarterly-report_2026.pdf</mark>');
    const reports = (await search('report')).searchMessages.edges;
    expect(reports.map((e) => e.node.message.id).sort()).toEqual([report, late, both].sort());
    // Matched by text (too): the text's snippet, as before.
    expect(reports.find((e) => e.node.message.id === both)!.node.snippet).toBe('<mark>report</mark> attached');
    expect((await search('report -late')).searchMessages.edges.map((e) => e.node.message.id)).not.toContain(late);

    expect((await search('quarterly', stranger.token, null)).searchMessages.edges).toEqual([]);
    await s.ok(DeleteFiles, { id: report }, { token: owner.token });
    expect((await search('quarterly')).searchMessages.edges).toEqual([]);
  });

  it('match names through the expression index the migration made, not by reading every attachment', async () => {
    // The index serves the query only while its expression is the one search.ts writes.
    const words = "to_tsvector('english', regexp_replace(${alias}.name, '[^[:alnum:]]+', ' ', 'g'))";
    expect(await readFile('src/db/sql/search.ts', 'utf8')).toContain(words);
    const s = server();
    const plan = await s.services().prisma.$transaction(async (tx) => {
      // A handful of rows would be read whole whatever the indexes: ask for the plan as a large table would get it.
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return tx.$queryRawUnsafe<Record<string, string>[]>(
        `EXPLAIN SELECT a.id FROM "Attachment" a WHERE a."tenantId" = 'default' AND ${words.replace('${alias}', 'a')} @@ websearch_to_tsquery('english', 'report')`,
      );
    });
    expect(plan.map((row) => Object.values(row)[0]).join('\n')).toContain('Attachment_name_search_idx');
  });
});
