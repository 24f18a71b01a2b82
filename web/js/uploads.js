// Files to send with a composer's next message: the Attach button and files dropped onto the composer are uploaded
// at once (uploadAttachment, a GraphQL multipart request), each shown as a chip (name, size, uploading or what went
// wrong) with Remove; the message sent takes the ids of the uploaded ones, and may then have no text.
import { fileSize, h } from './dom.js';
import { ApiError, gqlUpload } from './api.js';

const UPLOAD = 'mutation($file: File!) { uploadAttachment(file: $file) { id name size contentType } }';
/** SendMessageInput.attachmentIds takes at most 10. */
const MAX_FILES = 10;

const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');

/** Adds the Attach button, drag-and-drop and the chips to `form` (a composer); `failed(err)` shows an error. */
export function attachUploads(form, { failed }) {
  const input = h('input', { type: 'file', multiple: true, hidden: true, 'aria-label': 'Files to attach' });
  const chips = h('ul', { class: 'upload-chips', 'aria-label': 'Files to send', hidden: true });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'attach',
      'aria-label': 'Attach files',
      title: 'Attach files (or drop them here)',
      onclick: () => input.click(),
    },
    '📎',
  );
  form.prepend(chips);
  form.querySelector('button[type=submit]').before(button);
  form.append(input);
  /** { file, status: 'uploading' | 'done' | 'failed', attachment, error, abort, done } */
  let items = [];

  function add(files) {
    for (const file of files) {
      if (items.length >= MAX_FILES) {
        failed(new ApiError(`A message takes at most ${MAX_FILES} files.`, 'BAD_USER_INPUT'));
        break;
      }
      const item = { file, status: 'uploading', attachment: null, error: null, abort: new AbortController() };
      item.done = gqlUpload(UPLOAD, file, item.abort.signal)
        .then(
          (data) => Object.assign(item, { status: 'done', attachment: data.uploadAttachment }),
          (error) => Object.assign(item, { status: 'failed', error }),
        )
        .finally(render);
      items.push(item);
    }
    render();
  }

  function remove(item) {
    item.abort.abort(); // an upload left unsent is deleted by the server after a day
    items = items.filter((i) => i !== item);
    render();
  }

  function render() {
    chips.hidden = items.length === 0;
    chips.replaceChildren(
      ...items.map((item) =>
        h(
          'li',
          { class: `upload-chip ${item.status}` },
          h('span', { class: 'upload-name' }, item.file.name),
          h('span', { class: 'muted' }, ` ${fileSize(item.file.size)}`),
          item.status === 'uploading' ? h('span', { class: 'muted' }, ' · uploading…') : null,
          item.status === 'failed' ? h('span', { class: 'upload-error' }, ` · ${item.error.message}`) : null,
          h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${item.file.name}`, onclick: () => remove(item) }, '×'),
        ),
      ),
    );
  }

  input.addEventListener('change', () => {
    add(input.files);
    input.value = '';
  });
  form.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    form.classList.add('dropping');
  });
  form.addEventListener('dragleave', (e) => {
    if (!form.contains(e.relatedTarget)) form.classList.remove('dropping');
  });
  form.addEventListener('drop', (e) => {
    form.classList.remove('dropping');
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    add(e.dataTransfer.files);
  });

  return {
    /** How many files wait to be sent (uploaded or not yet). */
    get count() {
      return items.length;
    },
    /** The ids to send, once every upload is done; rejects while one failed (its chip says why; Remove sends the rest). */
    async ready() {
      while (items.some((i) => i.status === 'uploading')) await Promise.all(items.map((i) => i.done));
      const bad = items.find((i) => i.status === 'failed');
      if (bad) throw new ApiError(`${bad.file.name} was not uploaded: ${bad.error.message} Remove it to send the rest.`, bad.error.code);
      return items.map((i) => i.attachment.id);
    },
    clear() {
      items.forEach((i) => i.status === 'uploading' && i.abort.abort());
      items = [];
      render();
    },
  };
}
