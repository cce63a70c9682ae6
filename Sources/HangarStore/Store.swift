// HangarStore: everything Hangar keeps across restarts, behind protocols.
