import path from 'node:path';
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import type { TrayView } from '../app-controller.js';
import { trayIcon } from '../tray-icons.js';
import type { MenuAction, MenuItem } from '../tray-menu.js';

/** The tray / menu-bar icon: renders a TrayView, dispatches menu actions. */
export class ShoalTray {
  private readonly tray: Tray;
  private icon = '';

  constructor(
    private readonly assets: string,
    private readonly dispatch: (action: MenuAction) => void,
  ) {
    this.tray = new Tray(this.image('disconnected'));
    this.tray.setToolTip('Shoal');
    // Windows and Linux open the window on a click; macOS shows the menu.
    if (process.platform !== 'darwin') this.tray.on('click', () => dispatch({ type: 'open-window' }));
  }

  render(view: TrayView): void {
    if (view.icon !== this.icon) {
      this.icon = view.icon;
      this.tray.setImage(this.image(view.icon));
    }
    this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(view.menu.map((item) => this.toElectron(item))));
  }

  destroy(): void {
    this.tray.destroy();
  }

  private toElectron(item: MenuItem): MenuItemConstructorOptions {
    if (item.kind === 'separator') return { type: 'separator', id: item.id };
    const action = item.action;
    return {
      id: item.id,
      label: item.label,
      enabled: item.enabled,
      ...(item.toolTip ? { toolTip: item.toolTip } : {}),
      ...(action ? { click: () => this.dispatch(action) } : {}),
    };
  }

  private image(state: Parameters<typeof trayIcon>[0]) {
    const choice = trayIcon(state, process.platform);
    const img = nativeImage.createFromPath(path.join(this.assets, ...choice.file.split('/')));
    if (choice.template) img.setTemplateImage(true);
    return img;
  }
}
