// Markdown of AI answers and summaries, made safe twice: markdown-it with html:false never passes raw HTML through
// (it comes out as text), and DOMPurify then keeps only the elements and attributes listed here. Links open in a new
// tab without an opener and only to http, https and mailto; images are off (the page's CSP would refuse other hosts,
// and an answer should not fetch anything). Code blocks get a Copy button; tables and code scroll sideways.
import markdownit from '/vendor/markdown-it/markdown-it.esm.min.mjs';
import DOMPurify from '/vendor/dompurify/purify.es.mjs';
import { h } from './dom.js';

const SAFE_LINK = /^(https?:|mailto:)/i;

const md = markdownit({ html: false, linkify: true, typographer: false });
md.disable('image');
md.validateLink = (url) => SAFE_LINK.test(url.trim());
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet('target', '_blank');
  tokens[i].attrSet('rel', 'noopener noreferrer');
  return self.renderToken(tokens, i, options);
};
// Column alignment as a class: the CSP allows no style attributes.
md.core.ruler.push('align_class', (state) => {
  for (const token of state.tokens) {
    const style = (token.type === 'th_open' || token.type === 'td_open') && token.attrGet('style');
    if (!style) continue;
    token.attrs = token.attrs.filter(([name]) => name !== 'style');
    token.attrJoin('class', `align-${style.replace(/^text-align:\s*/, '')}`);
  }
});

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'code', 'pre', 'blockquote',
  'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
]; // prettier-ignore
const PURIFY = { ALLOWED_TAGS, ALLOWED_ATTR: ['href', 'target', 'rel', 'class', 'start'], RETURN_DOM_FRAGMENT: true };

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (!href || !SAFE_LINK.test(href)) node.removeAttribute('href');
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', 'noopener noreferrer');
});

/** The markdown `text` as a DocumentFragment of safe elements (code blocks with Copy, tables in a scroller). */
export function renderMarkdown(text) {
  const fragment = DOMPurify.sanitize(md.render(text ?? ''), PURIFY);
  // The newlines between blocks are not content (they would end up in the text a reader or a test copies).
  for (const node of [...fragment.childNodes]) if (node.nodeType === Node.TEXT_NODE && !node.textContent.trim()) node.remove();
  for (const pre of fragment.querySelectorAll('pre')) pre.replaceWith(codeBlock(pre));
  for (const table of fragment.querySelectorAll('table')) table.replaceWith(h('div', { class: 'md-table' }, table.cloneNode(true)));
  return fragment;
}

/** Renders `text` into `el` (class md): the element's old children go. */
export function showMarkdown(el, text) {
  el.classList.add('md');
  el.replaceChildren(renderMarkdown(text));
}

function codeBlock(pre) {
  const code = pre.querySelector('code');
  const language = /(?:^|\s)language-([\w+#.-]+)/.exec(code?.className ?? '')?.[1] ?? '';
  const copy = h(
    'button',
    { type: 'button', class: 'link copy-code', 'aria-label': `Copy code${language ? ` (${language})` : ''}` },
    'Copy',
  );
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code?.textContent ?? pre.textContent);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Copy failed';
    }
    setTimeout(() => (copy.textContent = 'Copy'), 2000);
  });
  return h(
    'div',
    { class: 'md-code' },
    h('div', { class: 'md-code-bar' }, h('span', { class: 'muted' }, language || 'code'), copy),
    pre.cloneNode(true),
  );
}

/** Calls render() at most once per animation frame however often it is asked for (streamed tokens). */
export function perFrame(render) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
}
