// HangarSandbox: the isolation layers a hosted server runs in.
