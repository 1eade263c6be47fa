import { CopyButton } from '../components/CopyButton.js';
import { Dialog } from '../components/Dialog.js';

/** The browser's stand-in for "open in the file manager": the path, to copy. */
export function ShowPathDialog({ title, path, onClose }: { title: string; path: string; onClose(): void }) {
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testid="show-path-dialog"
      footer={
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      }
    >
      <p className="field-note">A browser cannot open folders. The folder is on the machine where Shoal runs, at:</p>
      <div className="secret-box">
        <code className="mono selectable" data-testid="path-text">
          {path}
        </code>
        <CopyButton text={path} testid="copy-path" what="path" />
      </div>
    </Dialog>
  );
}
