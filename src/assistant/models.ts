// The models a deployment can chat with, built once from config: Anthropic, OpenAI and one OpenAI-compatible server
// (Ollama, vLLM, LM Studio, ...) when their keys or URL are set, plus the built-in offline `parley-echo`.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Config } from '../config.ts';
import { badInput } from '../errors.ts';
import { ECHO_MODEL_ID, EchoModel } from './echo-model.ts';

export interface ModelInfo {
  /** What clients pass as `model`, e.g. `anthropic:claude-sonnet-4-5`. */
  id: string;
  label: string;
  provider: string;
  /** True for the built-in model that answers without any provider. */
  offline: boolean;
  /** Whether to ask this model for a session title (real providers; not the echo model). */
  titles: boolean;
  /** Whether it takes images (ChatInput.attachmentIds): real providers and parley-echo (which describes them). */
  images: boolean;
}

export interface RegisteredModel extends ModelInfo {
  model: LanguageModelV3;
}

export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();
  private defaultModelId: string;

  constructor(config: Config) {
    if (config.ANTHROPIC_API_KEY) {
      const anthropic = createAnthropic({ apiKey: config.ANTHROPIC_API_KEY });
      for (const name of config.ANTHROPIC_MODELS) {
        this.register(`anthropic:${name}`, anthropic(name), {
          label: `Anthropic ${name}`,
          provider: 'anthropic',
          titles: true,
          images: true,
        });
      }
    }
    if (config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
      // `.chat()` is the Chat Completions API, which every OpenAI model and proxy speaks.
      const openai = createOpenAI({ apiKey: config.OPENAI_API_KEY });
      for (const name of config.OPENAI_MODELS) {
        this.register(`openai:${name}`, openai.chat(name), { label: `OpenAI ${name}`, provider: 'openai', titles: true, images: true });
      }
    }
    if (config.OPENAI_BASE_URL) {
      // includeUsage: without it most servers stream no usage report, and budgets would only see estimates.
      const local = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: config.OPENAI_BASE_URL,
        apiKey: config.OPENAI_API_KEY,
        includeUsage: true,
      });
      for (const name of config.OPENAI_COMPATIBLE_MODELS) {
        this.register(`local:${name}`, local.chatModel(name), {
          label: `${name} (${new URL(config.OPENAI_BASE_URL).host})`,
          provider: 'openai-compatible',
          titles: true,
          images: true,
        });
      }
    }
    const firstReal = this.models.keys().next().value;
    this.register(ECHO_MODEL_ID, new EchoModel(config.CHAT_ECHO_DELAY_MS), {
      label: 'Parley Echo (built-in offline model: repeats your message, no provider needed)',
      provider: 'parley',
      offline: true,
      images: true,
    });
    this.defaultModelId = config.CHAT_DEFAULT_MODEL ?? firstReal ?? ECHO_MODEL_ID;
    if (!this.models.has(this.defaultModelId)) {
      throw new Error(
        `CHAT_DEFAULT_MODEL=${JSON.stringify(this.defaultModelId)} is not a configured model; configured: ${[...this.models.keys()].join(', ')}`,
      );
    }
  }

  /**
   * Adds (or replaces) a model under `id`. Used at start-up for configured providers; also how an embedding
   * application or a test plugs in any AI SDK model (a custom provider, a mock).
   */
  register(id: string, model: LanguageModelV3, info: Partial<Omit<ModelInfo, 'id'>> = {}): void {
    this.models.set(id, {
      id,
      model,
      label: info.label ?? id,
      provider: info.provider ?? (typeof model === 'object' && 'provider' in model ? String(model.provider) : 'custom'),
      offline: info.offline ?? false,
      titles: info.titles ?? false,
      // A model registered without saying so is sent no images.
      images: info.images ?? false,
    });
  }

  unregister(id: string): void {
    if (id !== ECHO_MODEL_ID && id !== this.defaultModelId) this.models.delete(id);
  }

  get defaultId(): string {
    return this.defaultModelId;
  }

  list(): RegisteredModel[] {
    return [...this.models.values()];
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  /** The model, or BAD_USER_INPUT naming the choices. */
  get(id: string | null | undefined): RegisteredModel {
    const found = this.models.get(id ?? this.defaultModelId);
    if (!found) throw badInput(`Unknown model "${id}". Available: ${[...this.models.keys()].join(', ')}.`, 'model');
    return found;
  }
}
