/**
 * The MJML source editor: CodeMirror 6 with MJML (XML) highlighting, Herald's {{placeholders}}
 * marked, line numbers, undo history and Tab indenting (Escape, then Tab, leaves the editor, as
 * CodeMirror's accessibility guidance has it). The content element is labelled for screen readers.
 */
import { EditorState } from '@codemirror/state';
import { EditorView, drawSelection, keymap, lineNumbers } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { StreamLanguage, bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';

interface MjmlState {
  inTag: boolean;
  inComment: boolean;
}

/** Tags, attributes, strings, comments, entities and {{placeholders}}; enough to read MJML at a glance. */
export const mjmlLanguage = StreamLanguage.define<MjmlState>({
  name: 'mjml',
  startState: () => ({ inTag: false, inComment: false }),
  token(stream, state) {
    if (state.inComment) {
      if (stream.skipTo('-->')) {
        stream.match('-->');
        state.inComment = false;
      } else stream.skipToEnd();
      return 'comment';
    }
    if (stream.match('<!--')) {
      state.inComment = true;
      return 'comment';
    }
    if (stream.match('{{')) {
      if (stream.skipTo('}}')) stream.match('}}');
      else stream.skipToEnd();
      return 'variable-2';
    }
    if (!state.inTag) {
      if (stream.match(/^<\/?[\w-]+/)) {
        state.inTag = true;
        return 'tag';
      }
      if (stream.match(/^&[#\w]+;/)) return 'atom';
      stream.next();
      while (!stream.eol() && !/[<{&]/.test(stream.peek() ?? '')) stream.next();
      return null;
    }
    if (stream.match(/^\/?>/)) {
      state.inTag = false;
      return 'tag';
    }
    if (stream.eatSpace()) return null;
    if (stream.match(/^[\w:-]+/)) return 'attribute';
    if (stream.match('=')) return 'operator';
    if (stream.match(/^"[^"]*"?/) || stream.match(/^'[^']*'?/)) return 'string';
    stream.next();
    return null;
  },
});

export interface MjmlEditor {
  readonly view: EditorView;
  value: string;
  destroy(): void;
}

export function createMjmlEditor(parent: HTMLElement, doc: string, onChange: () => void, label = 'MJML source'): MjmlEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        // no active-line tint: it took the highlighted tokens below WCAG's contrast ratio
        bracketMatching(),
        mjmlLanguage,
        syntaxHighlighting(defaultHighlightStyle),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true', role: 'textbox', spellcheck: 'false' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange();
        }),
      ],
    }),
  });
  // the scroller is reachable by keyboard too (axe: scrollable-region-focusable), so a long template scrolls without a mouse
  view.scrollDOM.tabIndex = 0;
  view.scrollDOM.setAttribute('aria-label', `${label}, scrollable`);
  return {
    view,
    get value() {
      return view.state.doc.toString();
    },
    set value(v: string) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: v } });
    },
    destroy: () => view.destroy(),
  };
}
