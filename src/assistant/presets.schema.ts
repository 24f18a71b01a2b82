// GraphQL shape of assistant presets: ChatPreset, chatPresets (anyone of the tenant), createChatPreset and
// deleteChatPreset (its admins). Rules live in ChatPresets (presets.ts); ChatInput.presetId picks one.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { MAX_SYSTEM_PROMPT } from './context.ts';
import { MAX_PRESETS, PRESET_TOOLS } from './presets.ts';

builder.prismaObject('ChatPreset', {
  description: 'A named assistant setup of the organisation: a model, instructions and tools (pick it with ChatInput.presetId).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Preset id.' }),
    name: t.exposeString('name', { description: 'Its name, unique in the organisation.' }),
    model: t.exposeString('model', { description: 'The model it answers with (chatModels).' }),
    systemPrompt: t.exposeString('systemPrompt', {
      nullable: true,
      description: "Its instructions to the model; null: the session's own, else the server's.",
    }),
    tools: t.exposeStringList('tools', {
      description: `The tools it offers the model: of the built-ins ${PRESET_TOOLS.join(', ')}, and the organisation's MCP tools (\`<server>__<tool>\`). An empty list offers none.`,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
  }),
});

builder.queryField('chatPresets', (t) =>
  t.prismaField({
    type: ['ChatPreset'],
    authScopes: { signedIn: true },
    description: "The organisation's assistant presets, by name.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.chatPreset.findMany({ ...query, where: { tenantId: requireViewer(ctx).user.tenantId }, orderBy: { name: 'asc' } }),
  }),
);

builder.mutationFields((t) => ({
  createChatPreset: t.prismaField({
    type: 'ChatPreset',
    authScopes: { admin: true },
    description: `Makes an assistant preset for the organisation (admins only; at most ${MAX_PRESETS}). A name in use is CONFLICT; an unknown model or tool BAD_USER_INPUT.`,
    args: {
      name: t.arg.string({ required: true, description: 'Up to 100 characters, unique in the organisation.' }),
      model: t.arg.string({ required: true, description: 'A model id from chatModels.' }),
      systemPrompt: t.arg.string({ description: `Instructions to the model, up to ${MAX_SYSTEM_PROMPT} characters.` }),
      tools: t.arg.stringList({
        description: `Tools to offer (see chatTools): of ${PRESET_TOOLS.join(', ')}, or an MCP server's as \`<server>__<tool>\`.`,
      }),
    },
    resolve: async (query, _root, args, ctx) => {
      const { user } = requireViewer(ctx);
      const preset = await ctx.services.assistant.presets.create(user.tenantId, user.id, args);
      return ctx.prisma.chatPreset.findUniqueOrThrow({ ...query, where: { id: preset.id } });
    },
  }),
  deleteChatPreset: t.id({
    authScopes: { admin: true },
    description:
      'Deletes one of the organisation\u2019s presets (admins only); sessions made with it keep their model and instructions. Returns its id.',
    args: { id: t.arg.id({ required: true, description: 'Preset id.' }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.assistant.presets.remove(requireViewer(ctx).user.tenantId, String(id));
      return id;
    },
  }),
}));
