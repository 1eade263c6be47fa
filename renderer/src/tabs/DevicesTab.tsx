import { EmptyState } from '../components/EmptyState.js';
import { useApp, useServices } from '../state/hooks.js';
import { DeviceRow } from './DeviceRow.js';

/** Devices: every device connected now, across all folders. */
export function DevicesTab() {
  const { ui } = useServices();
  const devices = useApp((s) => s.devices);
  const peerSpeeds = useApp((s) => s.peerSpeeds);
  const loaded = useApp((s) => s.loaded);
  const folderCount = useApp((s) => s.folders.length);

  return (
    <div className="tab-page">
      <div className="toolbar">
        <h2 className="page-title">Devices</h2>
      </div>
      {loaded && devices.length === 0 ? (
        <EmptyState title="No devices connected" testid="devices-empty">
          <p>
            Devices that hold the secret of one of your folders find each other on the local network, and through the predefined hosts in
            a folder’s preferences. They appear here while connected.
          </p>
          <p>{folderCount === 0 ? 'Add a folder in My Sync first, then give its secret to your other device.' : 'Give a folder’s secret (My Sync → ⋯ → Copy Secret or Connect Mobile) to another device to connect it.'}</p>
        </EmptyState>
      ) : (
        <ul className="device-list" aria-label="Connected devices" data-testid="device-list">
          {devices.map((d) => (
            <DeviceRow key={d.id} device={d} speed={peerSpeeds[d.id]} onQueue={() => ui.getState().openDialog({ kind: 'syncQueue', peerId: d.id })} />
          ))}
        </ul>
      )}
    </div>
  );
}
