import type { ErrorData } from '../../../engine/api/error-data.js';
import { addNotice } from './reducers.js';
import type { AppStore } from './store.js';

/** Show an error (or, with code 'INFO', a confirmation) in the window's message area. */
export function notify(store: AppStore, notice: ErrorData | { code: 'INFO'; message: string }): void {
  store.setState((s) => addNotice(s, notice));
}
