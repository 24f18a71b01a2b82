// GraphQL shape of attachments: the File scalar (multipart uploads), type Attachment, Message.attachments and
// uploadAttachment. Rules live in AttachmentService; the bytes are served by attachments-route.ts.
import { GraphQLError } from 'graphql';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import type { Attachment } from '../generated/prisma/client.ts';
import { actorOf, batchLoad } from '../messaging/loaders.ts';
import { MAX_ATTACHMENTS } from './attachments.service.ts';
import { MAX_NAME_CHARS, THUMBNAIL_SIZE } from './files.ts';

/** Whether a variable's value is a file of the multipart request (yoga hands those over as WHATWG File objects). */
const isFile = (value: unknown): value is { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function' &&
  typeof (value as { size?: unknown }).size === 'number';

builder.scalarType('File', {
  description:
    'A file sent with the GraphQL multipart request spec (multipart/form-data: `operations`, `map`, then the file part). Input only.',
  serialize: () => {
    throw new GraphQLError('File is an input type only.');
  },
  parseValue: (value) => {
    if (!isFile(value))
      throw new GraphQLError('Send the file as a part of a multipart/form-data request (GraphQL multipart request spec).');
    return value;
  },
  parseLiteral: () => {
    throw new GraphQLError('A file cannot be written in the query; send it as a part of a multipart/form-data request.');
  },
});

export const AttachmentRef = builder.objectRef<Attachment>('Attachment').implement({
  description:
    'A file attached to a message (or uploaded and waiting to be sent). Its type is read from its bytes; images (JPEG, PNG, WebP, GIF, AVIF) ' +
    'are stored without their metadata (EXIF, GPS), turned upright, and have a size and a thumbnail.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Attachment id (pass it in SendMessageInput.attachmentIds).' }),
    name: t.exposeString('name', {
      description: `The file name as given, cleaned: no path, no control, bidi or invisible characters, at most ${MAX_NAME_CHARS} characters.`,
    }),
    contentType: t.exposeString('contentType', {
      description: 'The media type read from the bytes (never the one the client claimed); application/octet-stream when unknown.',
    }),
    size: t.exposeInt('size', { description: 'Bytes stored (an image after its metadata was removed).' }),
    width: t.exposeInt('width', { nullable: true, description: 'Width in pixels, upright; null when not an image.' }),
    height: t.exposeInt('height', { nullable: true, description: 'Height in pixels (of one frame), upright; null when not an image.' }),
    url: t.string({
      description:
        'Where to download it: a URL signed for the viewer that expires (ATTACHMENT_URL_TTL_SECONDS, an hour by default); read the ' +
        'attachment again for a fresh one. Images are served inline, anything else as a download.',
      resolve: (a, _args, ctx) => ctx.services.attachments.url(a, 'original', requireViewer(ctx).user.id),
    }),
    thumbnailUrl: t.string({
      nullable: true,
      description: `A WebP of at most ${THUMBNAIL_SIZE}×${THUMBNAIL_SIZE} pixels, signed like \`url\`; null when not an image.`,
      resolve: (a, _args, ctx) => (a.thumbnailKey ? ctx.services.attachments.url(a, 'thumbnail', requireViewer(ctx).user.id) : null),
    }),
  }),
});

builder.prismaObjectField('Message', 'attachments', (t) =>
  t.field({
    type: [AttachmentRef],
    description: `Its files, in the order they were given (at most ${MAX_ATTACHMENTS}; empty for a deleted message).`,
    resolve: async (m, _args, ctx) => {
      if (m.deletedAt) return [];
      return (await batchLoad(ctx, 'attachments', m.id, (ids) => ctx.services.attachments.ofMessages(ids))) ?? [];
    },
  }),
);

builder.mutationField('uploadAttachment', (t) =>
  t.field({
    type: AttachmentRef,
    authScopes: { signedIn: true },
    description:
      'Uploads one file (multipart/form-data, GraphQL multipart request spec) for your next message: send its id in ' +
      'SendMessageInput.attachmentIds. Unsent uploads are deleted after a day (ATTACHMENT_UNSENT_TTL_SECONDS). Refused with ' +
      'BAD_USER_INPUT, field `file`, reason FILE_TOO_LARGE (over MAX_UPLOAD_BYTES), EMPTY_FILE, IMAGE_TOO_LARGE (over ' +
      'ATTACHMENT_MAX_PIXELS) or UNREADABLE_IMAGE (an image that does not decode); QUOTA_EXCEEDED, reason STORAGE_QUOTA, when your ' +
      'files would take more than ATTACHMENT_QUOTA_BYTES. With the session cookie (no bearer token) send an `x-client-id` or ' +
      '`apollo-require-preflight` header too, as for GET.',
    args: { file: t.arg({ type: 'File', required: true, description: 'The file.' }) },
    resolve: (_root, args, ctx) => ctx.services.attachments.upload(actorOf(ctx), args.file),
  }),
);
