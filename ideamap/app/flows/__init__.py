"""Controllers that join panels, the canvas and the map: build, adapt, navigation, search,
digests, notes, selections."""
