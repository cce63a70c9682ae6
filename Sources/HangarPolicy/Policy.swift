// HangarPolicy: the checks every tool call passes.
