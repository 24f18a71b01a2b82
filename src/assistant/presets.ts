// A tenant's assistant presets: a name for a model, its instructions and its tools, made by the tenant's admins and
// picked by anyone of the tenant with ChatInput.presetId (chat-starts.ts applies it).
import type { ChatPreset, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, badInput, isUniqueViolation, notFound } from '../errors.ts';
import { cleanText } from '../text-rules.ts';
import { cleanSystemPrompt } from './context.ts';
import type { ModelRegistry } from './models.ts';
import type { ToolRegistry } from './tools/registry.ts';

/** Presets a tenant keeps at most. */
export const MAX_PRESETS = 100;
/** The built-in tools a preset may name, besides the tenant's MCP tools (`<server>__<tool>`). */
export const PRESET_TOOLS = ['search_messages', 'read_conversation', 'current_time'] as const;
/** Tools one preset names at most. */
const MAX_PRESET_TOOLS = 64;

export interface PresetInput {
  name: string;
  model: string;
  systemPrompt?: string | null;
  tools?: string[] | null;
}

export class ChatPresets {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelRegistry,
    private readonly tools: ToolRegistry,
  ) {}

  /** The tenant's presets, by name. */
  list(tenantId: string): Promise<ChatPreset[]> {
    return this.prisma.chatPreset.findMany({ where: { tenantId }, orderBy: { name: 'asc' } });
  }

  /** One of the tenant's presets, or NOT_FOUND (field presetId). */
  async get(tenantId: string, id: string): Promise<ChatPreset> {
    const preset = await this.prisma.chatPreset.findFirst({ where: { id, tenantId } });
    if (!preset) throw new AppError('NOT_FOUND', 'No such chat preset.', { field: 'presetId' });
    return preset;
  }

  /** A new preset (the caller checked the admin role); a name the tenant uses already is a CONFLICT. */
  async create(tenantId: string, by: string, input: PresetInput): Promise<ChatPreset> {
    const name = cleanText(input.name.replace(/\s+/g, ' '), { field: 'name', label: 'A preset name', max: 100 });
    if (!name) throw badInput('A preset needs a name.', 'name');
    const model = this.models.get(input.model).id;
    const tools = [...new Set(input.tools ?? [])];
    if (tools.length > MAX_PRESET_TOOLS) throw badInput(`A preset names at most ${MAX_PRESET_TOOLS} tools.`, 'tools');
    // Checked against what the tenant's answers could use now: the built-ins and what its MCP servers list.
    const unknown = await this.tools.unknown(tenantId, tools);
    if (unknown.length) {
      throw badInput(
        `Unknown tools: ${unknown.join(', ')}. Built in: ${PRESET_TOOLS.join(', ')}; MCP tools are <server>__<tool> (chatTools).`,
        'tools',
      );
    }
    if ((await this.prisma.chatPreset.count({ where: { tenantId } })) >= MAX_PRESETS) {
      throw badInput(`An organisation keeps at most ${MAX_PRESETS} presets.`, 'name', 'PRESET_LIMIT');
    }
    try {
      return await this.prisma.chatPreset.create({
        data: { tenantId, name, model, systemPrompt: cleanSystemPrompt(input.systemPrompt) ?? null, tools, createdById: by },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'A preset of this name exists already.', { field: 'name' });
      throw err;
    }
  }

  /** Deletes one of the tenant's presets (NOT_FOUND for any other). */
  async remove(tenantId: string, id: string): Promise<void> {
    const { count } = await this.prisma.chatPreset.deleteMany({ where: { id, tenantId } });
    if (!count) throw notFound('Chat preset');
  }
}
