/** A tiny hyperscript helper: the whole client renders plain DOM nodes with it, no framework. */

type Child = Node | string | number | null | undefined | false | Child[];
type Handler<E extends Event = Event> = (ev: E) => void;

export interface Props {
  class?: string | Record<string, boolean | undefined>;
  style?: string;
  testid?: string;
  /** Used to put the focus back on the same control after a region is drawn again. */
  key?: string;
  dataset?: Record<string, string | number | undefined>;
  attrs?: Record<string, string | number | boolean | undefined | null>;
  onclick?: Handler<MouseEvent>;
  oninput?: Handler<Event>;
  onchange?: Handler<Event>;
  onsubmit?: Handler<SubmitEvent>;
  onkeydown?: Handler<KeyboardEvent>;
  [prop: string]: unknown;
}

function append(parent: Node, child: Child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
}

/** Creates an element: `h('button', {onclick, testid: 'save'}, 'Save')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null) continue;
      if (k === 'class') {
        el.className = typeof v === 'string' ? v : Object.entries(v as Record<string, boolean>).filter(([, on]) => on).map(([c]) => c).join(' ');
      } else if (k === 'style') {
        el.setAttribute('style', String(v));
      } else if (k === 'testid') {
        el.setAttribute('data-testid', String(v));
      } else if (k === 'key') {
        el.setAttribute('data-key', String(v));
      } else if (k === 'dataset') {
        for (const [dk, dv] of Object.entries(v as Record<string, unknown>)) if (dv !== undefined) el.dataset[dk] = String(dv);
      } else if (k === 'attrs') {
        for (const [ak, av] of Object.entries(v as Record<string, unknown>)) {
          if (av === undefined || av === null || av === false) continue;
          el.setAttribute(ak, av === true ? '' : String(av));
        }
      } else if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v as EventListener);
      } else {
        (el as unknown as Record<string, unknown>)[k] = v;
      }
    }
  }
  for (const c of children) append(el, c);
  return el;
}

/**
 * Replaces a container's content, keeping the keyboard focus (and caret) on the control with the same
 * `data-key` so live updates never throw a keyboard user out of the page.
 */
export function replace(container: Element, ...children: Child[]) {
  const active = document.activeElement as HTMLElement | null;
  const key = active && container.contains(active) ? active.getAttribute('data-key') : null;
  let caret: [number | null, number | null] | null = null;
  if (key && active instanceof HTMLInputElement && (active.type === 'text' || active.type === 'number' || active.type === 'email')) {
    try {
      caret = [active.selectionStart, active.selectionEnd];
    } catch {
      caret = null;
    }
  }
  const frag = document.createDocumentFragment();
  for (const c of children) append(frag, c);
  container.replaceChildren(frag);
  if (key) {
    const again = container.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
    if (again) {
      again.focus({ preventScroll: true });
      if (caret && again instanceof HTMLInputElement && caret[0] !== null) {
        try {
          again.setSelectionRange(caret[0], caret[1]);
        } catch {
          /* number inputs have no selection */
        }
      }
    }
  }
}

let idCounter = 0;
/** A page-unique id for label/for pairs. */
export function uid(prefix = 'f'): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * A folded card (`<details class="form-toggle">`) drawn open or closed. The element also fires "toggle" for the
 * state it was drawn with: `onToggle` hears only a change, which is the user's.
 */
export function foldedCard(open: boolean, onToggle: (open: boolean) => void, summary: HTMLElement, ...body: Child[]): HTMLDetailsElement {
  return h(
    'details',
    {
      class: 'form-toggle',
      open,
      ontoggle: (e: Event) => {
        const now = (e.target as HTMLDetailsElement).open;
        if (now !== open) onToggle(now);
      },
    },
    summary,
    ...body,
  );
}
