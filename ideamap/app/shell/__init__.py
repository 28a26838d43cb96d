"""The window itself: main window, layout of docks and menus, start screen, dialogs, theme."""
