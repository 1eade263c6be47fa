import { toDataURL } from 'qrcode';
import { useEffect, useState } from 'react';

/**
 * A QR code as a data: URL image (allowed by the Web UI's img-src policy, and no canvas
 * left in the DOM). Always dark on white with a quiet zone, whatever the theme, so phone
 * cameras read it.
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, width: 264, color: { dark: '#000000', light: '#ffffff' } }).then(
      (url) => live && (setSrc(url), setError(null)),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [text]);

  if (error) return <p className="field-error">Could not draw the QR code: {error}</p>;
  return (
    <div className="qr-frame">
      {src ? <img src={src} width={264} height={264} alt={label} data-testid="qr" data-link={text} /> : <div className="qr-placeholder" aria-hidden="true" />}
    </div>
  );
}
